// Builds the web UI (src/ui/web) into dist/ui/www: one script and one stylesheet bundled by
// esbuild with content hashes in their names, the icon likewise, and index.html naming them.
// Run by `npm run build`; prints the shipped sizes (raw and gzip).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/ui/web');
const out = join(root, 'dist/ui/www');
const assets = join(out, 'assets');

// The notices of the libraries bundled into the script, which their licenses ask to keep.
const BUNDLED = ['preact', 'uplot', 'diff'];

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const notices = await Promise.all(
  BUNDLED.map(async (name) => {
    const pkg = JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8'));
    const license = await readFile(join(root, 'node_modules', name, 'LICENSE'), 'utf8');
    return `${pkg.name} ${pkg.version} (${pkg.license})\n\n${license.trim()}\n`;
  }),
);
const licenses = hashedName('licenses', 'txt', notices.join('\n----------------------------------------\n\n'));
await writeFile(join(assets, licenses.name), licenses.text);

const result = await build({
  entryPoints: { app: join(source, 'main.tsx') },
  outdir: assets,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome111', 'firefox113', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  banner: { js: `/*! Paracle web UI; bundled libraries and their licenses: /assets/${licenses.name} */` },
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const outputs = Object.keys(result.metafile.outputs).map((path) => join(root, path));
const js = outputs.find((path) => path.endsWith('.js'));
const css = outputs.find((path) => path.endsWith('.css'));
if (!js || !css) throw new Error('esbuild made no script or no stylesheet');

const icon = hashedName('icon', 'svg', await readFile(join(source, 'icon.svg'), 'utf8'));
await writeFile(join(assets, icon.name), icon.text);

const template = await readFile(join(source, 'index.html'), 'utf8');
const page = template
  .replaceAll('%APP_JS%', `/assets/${basename(js)}`)
  .replaceAll('%APP_CSS%', `/assets/${basename(css)}`)
  .replaceAll('%ICON%', `/assets/${icon.name}`);
if (page.includes('%')) throw new Error('index.html still holds a placeholder');
await writeFile(join(out, 'index.html'), page);

const sizes = await Promise.all(
  [js, css, join(out, 'index.html')].map(async (path) => {
    const body = await readFile(path);
    return { file: basename(path), bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  }),
);
const total = sizes.reduce((sum, s) => ({ bytes: sum.bytes + s.bytes, gzip: sum.gzip + s.gzip }), { bytes: 0, gzip: 0 });
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const s of sizes) process.stdout.write(`ui: ${s.file.padEnd(24)} ${kib(s.bytes).padStart(10)} ${kib(s.gzip).padStart(10)} gzip\n`);
process.stdout.write(`ui: ${'total'.padEnd(24)} ${kib(total.bytes).padStart(10)} ${kib(total.gzip).padStart(10)} gzip\n`);

/** A file name carrying a hash of its content, as esbuild names the bundles. */
function hashedName(stem, extension, text) {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8).toUpperCase();
  return { name: `${stem}-${hash}.${extension}`, text };
}
