import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The lint's own rules (a plain JS file, as dependency-cruiser reads it).
const { default: config, MODULES } = (await import(pathToFileURL(join(ROOT, '.dependency-cruiser.js')).href)) as {
  default: IConfiguration;
  MODULES: Record<string, readonly string[]>;
};

// One cruise of a copy of src/ with every kind of break planted in it.
const PLANTED: Record<string, string> = {
  // A stage importing another stage.
  'src/processor/assembler/planted.ts': "import type { DurableIngest } from '../durable/index.js';\nexport type Next = DurableIngest;\n",
  // A receiver importing the store, for a type only.
  'src/receiver/otlp/planted.ts': "import type { RunStore } from '../../store/index.js';\nexport type S = RunStore;\n",
  // A folder with no row: importing, imported, and neither.
  'src/gadget/a.ts': "import { slug } from '../lib/index.js';\nexport const a = slug;\n",
  'src/gadget/b.ts': 'export const b = 1;\n',
  'src/api/planted.ts': "import { b } from '../gadget/b.js';\nexport const c = b;\n",
  'src/gizmo/lonely.ts': 'export const d = 1;\n',
  // Reaching past a module's index.ts.
  'src/maintenance/planted.ts': "import { describeError } from '../lib/errors.js';\nexport const e = describeError;\n",
};

let copy: string;
let found: string[];
beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'paracle-boundaries-'));
  await cp(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
  for (const [path, text] of Object.entries(PLANTED)) {
    await mkdir(dirname(join(copy, path)), { recursive: true });
    await writeFile(join(copy, path), text);
  }
  const { output } = await cruise(['src'], { baseDir: copy, validate: true, ruleSet: config, ...config.options });
  found = (output as ICruiseResult).summary.violations.map((v) => `${v.rule.name}: ${v.from}${v.to === v.from ? '' : ` -> ${v.to}`}`);
});
afterAll(() => rm(copy, { recursive: true, force: true }));

/** Every folder below `dir`, relative to src/. */
async function folders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const below = entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  return [...below.map((d) => relative(join(ROOT, 'src'), d)), ...(await Promise.all(below.map(folders))).flat()];
}

describe('module boundaries (npm run lint)', () => {
  it('refuses a stage importing another stage', () => {
    expect(found).toContain('processor/assembler-imports: src/processor/assembler/planted.ts -> src/processor/durable/index.ts');
  });

  it('refuses a receiver importing the store, even for a type', () => {
    expect(found).toContain('receiver/otlp-imports: src/receiver/otlp/planted.ts -> src/store/index.ts');
  });

  it('refuses a folder that has no row, whether it imports, is imported or neither', () => {
    expect(found).toEqual(
      expect.arrayContaining([
        'unlisted-folder: src/gadget/a.ts -> src/lib/index.ts',
        'import-of-unlisted-folder: src/api/planted.ts -> src/gadget/b.ts',
        'api-imports: src/api/planted.ts -> src/gadget/b.ts',
        'unlisted-folder-orphan: src/gizmo/lonely.ts',
      ]),
    );
  });

  it("refuses reaching past another module's index.ts", () => {
    expect(found).toContain('maintenance-through-index: src/maintenance/planted.ts -> src/lib/errors.ts');
  });

  it('finds nothing else: src/ itself keeps every rule', () => {
    expect(found.filter((v) => !Object.keys(PLANTED).some((path) => v.includes(`: ${path}`)))).toEqual([]);
  });

  it('has a row for every folder of src/', async () => {
    const names = Object.keys(MODULES);
    const unlisted = (await folders(join(ROOT, 'src'))).filter(
      (folder) => !names.some((name) => folder === name || folder.startsWith(`${name}/`) || name.startsWith(`${folder}/`)),
    );
    expect(unlisted, 'add a row to MODULES in .dependency-cruiser.js').toEqual([]);
  });

  it('are all in the table of docs/architecture.md', async () => {
    const doc = await readFile(join(ROOT, 'docs/architecture.md'), 'utf8');
    const missing = Object.keys(MODULES).filter((name) => !doc.includes(`\`${name}\``));
    expect(missing, 'describe the new module in docs/architecture.md').toEqual([]);
  });

  it('lets modules form layers: the rows have no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`cycle: ${[...path, name].join(' -> ')}`);
      visiting.add(name);
      for (const next of MODULES[name] ?? []) visit(next, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(MODULES)) visit(name, []);
    for (const allowed of Object.values(MODULES)) for (const name of allowed) expect(Object.keys(MODULES)).toContain(name);
  });
});
