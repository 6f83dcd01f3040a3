import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, configReference } from '../../../src/config/index.js';

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string): Promise<string> => readFile(fileURLToPath(new URL(path, ROOT)), 'utf8');

describe('docs/configuration.md', () => {
  it('is what the schema generates (after changing src/config/schema.ts, run npm run docs)', async () => {
    const committed = await read('docs/configuration.md');
    expect(committed === configReference(), 'docs/configuration.md is out of date: run `npm run docs` and commit it').toBe(true);
  });

  it('documents every key of the example file', async () => {
    const reference = configReference();
    const example = parse(await read('config/paracle.example.yaml')) as { paracle_config: Record<string, Record<string, unknown>> };
    for (const [section, keys] of Object.entries(example.paracle_config)) {
      expect(reference).toContain(`## ${section}\n`);
      for (const key of Object.keys(keys)) expect(reference, `${section}.${key}`).toContain(`| \`${key}\` |`);
    }
  });
});

describe('paracle config schema (the JSON Schema for editors)', () => {
  const validate = new Ajv2020({ strict: false }).compile(configJsonSchema());
  const accepts = (value: unknown): boolean => validate(value);

  it('accepts the example file and an empty block or section', async () => {
    expect(accepts(parse(await read('config/paracle.example.yaml')))).toBe(true);
    expect(accepts(parse(await read('test/fixtures/config/valid-full.yaml')))).toBe(true);
    expect(accepts({ paracle_config: null })).toBe(true);
    expect(accepts({ paracle_config: { runs: null, ingest: { wal: null } } })).toBe(true);
    expect(accepts({ other_tool: { anything: 1 } })).toBe(true);
  });

  it('refuses what config check refuses on sight: unknown keys, wrong types, values out of range', () => {
    expect(accepts({ paracle_config: { runs: { retention_dayz: 3 } } })).toBe(false);
    expect(accepts({ paracle_config: { runs: { mode: 'huge' } } })).toBe(false);
    expect(accepts({ paracle_config: { traces: {} } })).toBe(false);
    expect(accepts({ paracle_config: { runs: { traces: { sample_rate: 2 } } } })).toBe(false);
    expect(accepts({ paracle_config: { ingest: { wal: { sync: 'never' } } } })).toBe(false);
    expect(accepts({ paracle_config: { access: { tokens: [{ name: 'a', role: 'viewer' }] } } })).toBe(false);
  });

  it('describes every key, for editors to show', () => {
    const undescribed: string[] = [];
    const walk = (schema: Record<string, unknown>, path: string): void => {
      for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof child.description !== 'string') undescribed.push(`${path}.${name}`);
        walk(child, `${path}.${name}`);
      }
    };
    walk(configJsonSchema(), '');
    expect(undescribed).toEqual([]);
  });
});
