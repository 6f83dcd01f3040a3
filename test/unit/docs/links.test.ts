import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function documents(): Promise<string[]> {
  const docs = (await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** Relative link targets of a Markdown text: `[text](target)`, without #anchors. */
function relativeLinks(markdown: string): string[] {
  const outsideCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...outsideCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#', 1)[0]!);
}

describe('links in README.md and docs/', () => {
  it('resolve to files inside the repository', async () => {
    const broken: string[] = [];
    for (const doc of await documents()) {
      for (const target of relativeLinks(await readFile(join(ROOT, doc), 'utf8'))) {
        const path = resolve(dirname(join(ROOT, doc)), target);
        const inRepo = relative(ROOT, path);
        if (inRepo.startsWith('..')) broken.push(`${doc}: ${target} leaves the repository`);
        else if (!existsSync(path)) broken.push(`${doc}: ${target} does not exist`);
      }
    }
    expect(broken).toEqual([]);
  });
});
