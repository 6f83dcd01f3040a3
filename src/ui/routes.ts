import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError, ParacleError } from '../lib/index.js';
import type { ResponseDoc, Route } from '../api/index.js';
import type { UiAsset, UiAssets } from './assets.js';

/** The addresses of INTERFACE.md §10 that serve the UI's page; the page routes itself. */
export const UI_PAGES = ['/', '/runs', '/runs/{run_id}', '/diff', '/stats'] as const;

/**
 * The page may load and fetch only from this daemon: no inline script or style, no
 * framing, no plugins. Styles set from script (element.style) are not inline styles.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
// Hashed names change with their content: a browser may keep them for good.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// The page and the icon keep their names: always revalidate (cheap, with the ETag).
const REVALIDATE = 'no-cache';
const GET = ['GET', 'HEAD'] as const;
const html = (description: string): ResponseDoc => ({ description, content: { 'text/html': null } });
const notModified: ResponseDoc = { description: 'unchanged since the ETag in If-None-Match' };

/** The UI was not built: its routes say so instead of a bare 404. */
export class UiNotBuiltError extends ParacleError {
  constructor() {
    super('not_found', 'the web UI is not built into dist/ui/www; run npm run build');
  }
}

/**
 * The routes of the web UI (INTERFACE.md §10), none needing a role: the page at each of its
 * addresses, the hashed assets, and the icon (also as `/favicon.ico`, which browsers ask for).
 */
export function uiRoutes(assets: UiAssets): Route[] {
  const page = (path: string): Route => ({
    methods: GET,
    path,
    role: null,
    doc: { summary: `the web UI's page (docs: README "Web UI"); it routes ${path} itself`, responses: { 200: html('the page'), 304: notModified } },
    handle: async ({ req, res }) => send(req, res, required(assets.page), REVALIDATE, PAGE_HEADERS),
  });
  return [
    ...UI_PAGES.map(page),
    {
      methods: GET,
      path: '/assets/{name}',
      role: null,
      doc: {
        summary: "a file of the web UI's build, named by a hash of its content (cached for good)",
        params: { name: 'the file name, as the page refers to it' },
        responses: { 200: { description: 'the script, stylesheet, icon or licenses', content: { 'text/javascript': null, 'text/css': null, 'image/svg+xml': null, 'text/plain': null } }, 304: notModified },
      },
      handle: async ({ req, res, params }) => {
        const asset = assets.hashed.get(params.name!);
        if (!asset) throw new NotFoundError(`no UI asset ${params.name}`);
        send(req, res, asset, IMMUTABLE);
      },
    },
    {
      methods: GET,
      path: '/favicon.ico',
      role: null,
      doc: { summary: "the web UI's icon", responses: { 200: { description: 'an SVG icon', content: { 'image/svg+xml': null } }, 304: notModified } },
      handle: async ({ req, res }) => send(req, res, required(assets.icon), REVALIDATE),
    },
  ];
}

function required(asset: UiAsset | null): UiAsset {
  if (asset === null) throw new UiNotBuiltError();
  return asset;
}

/** Sends an asset: 304 when the client holds it, gzip when the client takes it. */
function send(req: IncomingMessage, res: ServerResponse, asset: UiAsset, cacheControl: string, extra: Readonly<Record<string, string>> = {}): void {
  const headers: Record<string, string> = {
    ...extra,
    'Cache-Control': cacheControl,
    ETag: asset.etag,
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept-Encoding',
  };
  if (matches(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = asset.gzip !== null && acceptsGzip(req.headers['accept-encoding']);
  const body = gzip ? asset.gzip! : asset.body;
  res.writeHead(200, {
    ...headers,
    'Content-Type': asset.contentType,
    'Content-Length': String(body.length),
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  res.end(body);
}

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return coding?.trim().toLowerCase() === 'gzip' && (q === undefined || Number(q.slice(2)) > 0);
  });
}
