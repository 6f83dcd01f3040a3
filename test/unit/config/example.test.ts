import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultConfig, loadConfigFile } from '../../../src/config/index.js';

const EXAMPLE = fileURLToPath(new URL('../../../config/paracle.example.yaml', import.meta.url));

describe('config/paracle.example.yaml', () => {
  it('validates to exactly the defaults', async () => {
    expect(await loadConfigFile(EXAMPLE)).toEqual(defaultConfig());
  });

  it('spells out every key, not relying on defaults', async () => {
    const raw: unknown = parse(await readFile(EXAMPLE, 'utf8'));
    expect(raw).toEqual({ paracle_config: defaultConfig() });
  });
});
