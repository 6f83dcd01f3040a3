/** The web UI (INTERFACE.md §10): its built files and the routes that serve them. */
export { loadUiAssets, UI_BUILD_DIR } from './assets.js';
export type { UiAsset, UiAssets } from './assets.js';
export { uiRoutes, UI_PAGES, CONTENT_SECURITY_POLICY, UiNotBuiltError } from './routes.js';
