import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One file of the built UI, ready to send. */
export interface UiAsset {
  /** Path below the build folder, `/`-separated (e.g. `assets/app-3F2A1B.js`). */
  path: string;
  contentType: string;
  body: Buffer;
  /** Present when gzip makes the file smaller. */
  gzip: Buffer | null;
  /** Strong validator: a hash of the content. */
  etag: string;
}

/** The built UI: the page shell and its assets, all held in memory (they are small). */
export interface UiAssets {
  /** The page every UI address serves; null when the UI was not built. */
  page: UiAsset | null;
  /** Files under `assets/` by name; their names carry a hash of their content. */
  hashed: ReadonlyMap<string, UiAsset>;
  /** The page's icon, also served as `/favicon.ico`. */
  icon: UiAsset | null;
}

/**
 * Where `npm run build` puts the UI: `dist/ui/www` of the package, found the same way from
 * `src/ui` (tests) and `dist/ui` (the installed daemon).
 */
export const UI_BUILD_DIR = fileURLToPath(new URL('../../dist/ui/www/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
};

/**
 * Reads the built UI from `dir` into memory, with a gzip copy of each text file. A missing
 * folder (the UI was never built) gives no page and no assets; other read errors throw.
 */
export async function loadUiAssets(dir = UI_BUILD_DIR): Promise<UiAssets> {
  const files = await listFiles(dir);
  const assets = await Promise.all(files.map((path) => loadAsset(dir, path)));
  const byPath = new Map(assets.map((asset) => [asset.path, asset]));
  const hashed = new Map(
    assets.filter((asset) => asset.path.startsWith('assets/')).map((asset) => [asset.path.slice('assets/'.length), asset]),
  );
  const icon = assets.find((asset) => /^assets\/icon-[\w-]+\.svg$/.test(asset.path)) ?? null;
  return { page: byPath.get('index.html') ?? null, hashed, icon };
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function loadAsset(dir: string, path: string): Promise<UiAsset> {
  const body = await readFile(join(dir, path));
  const contentType = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  const compressible = !contentType.startsWith('image/png');
  const zipped = compressible ? gzipSync(body, { level: 9 }) : null;
  return {
    path,
    contentType,
    body,
    gzip: zipped !== null && zipped.length < body.length ? zipped : null,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}
