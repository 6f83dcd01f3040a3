import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/lib/index.js';
import type { TokenUsage } from '../../../src/model/index.js';
import { createPriceBook, loadPriceBook, parseOverrides } from '../../../src/pricing/index.js';
import type { PriceBook } from '../../../src/pricing/index.js';

const MILLION: TokenUsage = { input: 1_000_000, output: 1_000_000, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 };
const AT = new Date('2026-01-06T10:30:00Z');

let book: PriceBook;
beforeAll(async () => {
  // The repository's own config/pricing.yaml, as the daemon loads it by default.
  book = await loadPriceBook({ overrides: 'config/pricing.yaml', dataFile: null });
});

describe('price matching (bundled genai-prices data plus config/pricing.yaml)', () => {
  it.each([
    ['openai', 'gpt-4o-2024-08-06', 12.5],
    [null, 'openai/gpt-4o', 12.5],
    ['anthropic', 'claude-3-5-sonnet-20241022', 18],
    ['aws.bedrock', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 18],
    ['azure.ai.openai', 'gpt-4o-mini', 0.75],
    [null, 'gpt-4o-mini', 0.75],
    ['openai', 'acme-coder-7b', 0.8],
  ] as const)('%s / %s costs $%d per million in and million out', (provider, model, usd) => {
    expect(book.price(provider, model, MILLION, AT)).toBe(usd);
  });

  it('has no price for an unknown model, a missing model, or a known model under an unknown provider', () => {
    expect(book.price('mock-provider', 'mock-model-id', MILLION, AT)).toBeNull();
    expect(book.price(null, 'mock-model-id', MILLION, AT)).toBeNull();
    expect(book.price('openai', null, MILLION, AT)).toBeNull();
    expect(book.price('ollama', 'gpt-4o', MILLION, AT)).toBeNull();
  });

  it('prices a self-hosted model of config/pricing.yaml only from its effective date', () => {
    expect(book.price('vllm', 'acme-coder-7b', MILLION, new Date('2024-12-31T23:59:59Z'))).toBeNull();
    expect(book.price('ollama', 'llama3.1:8b', MILLION, AT)).toBe(0);
  });

  it('names its data: the bundled version plus a hash of the overrides', () => {
    expect(book.version).toMatch(/^genai-prices@\d+\.\d+\.\d+\+overrides\.[0-9a-f]{12}$/);
  });
});

describe('overrides', () => {
  const entry = (extra: string): string => `overrides:\n  - provider: openai\n    model: "gpt-4o*"\n    input_mtok: 1\n    output_mtok: 2\n${extra}`;

  it('win over the bundled data, the latest in effect first', () => {
    const overrides = parseOverrides(entry('    effective_from: "2025-01-01"\n') + '  - provider: openai\n    model: "gpt-4o"\n    input_mtok: 3\n    output_mtok: 4\n    effective_from: "2026-01-01"\n', 'p.yaml');
    const local = createPriceBook(overrides, 'test');
    expect(local.price('openai', 'gpt-4o', MILLION, AT)).toBe(7);
    expect(local.price('openai', 'gpt-4o-2024-08-06', MILLION, AT)).toBe(3);
    expect(local.price('openai', 'gpt-4o', MILLION, new Date('2024-06-01T00:00:00Z'))).toBe(12.5);
  });

  it('are reported with every problem and its path', () => {
    const bad = 'overrides:\n  - provider: openai\n    model: x\n    input_mtok: -1\n    output_mtok: 2\n    effective_from: "2025-13-45"\n    colour: red\n';
    expect(() => parseOverrides(bad, 'p.yaml')).toThrow(ConfigError);
    try {
      parseOverrides(bad, 'p.yaml');
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['overrides.0.input_mtok', 'overrides.0.effective_from', 'overrides.0']);
    }
  });

  it('may be an empty file', () => {
    expect(parseOverrides('', 'p.yaml')).toEqual([]);
  });
});

describe('loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paracle-pricing-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('treats a missing overrides file as none', async () => {
    const loaded = await loadPriceBook({ overrides: join(dir, 'absent.yaml'), dataFile: null });
    expect(loaded.version).toMatch(/^genai-prices@\d+\.\d+\.\d+$/);
  });

  it('refuses a bad overrides file and an unreadable or malformed data file with one sentence', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'overrides: [{ provider: x }]\n');
    await expect(loadPriceBook({ overrides: bad, dataFile: null })).rejects.toThrow(/bad\.yaml is invalid: overrides\.0\.model/);
    await expect(loadPriceBook({ overrides: bad, dataFile: join(dir, 'none.json') })).rejects.toThrow(ConfigError);
    const notData = join(dir, 'data.json');
    await writeFile(notData, '{"providers": 1}');
    await expect(loadPriceBook({ overrides: join(dir, 'absent.yaml'), dataFile: notData })).rejects.toThrow(/must be a genai-prices data file/);
    await expect(loadPriceBook({ overrides: join(dir, 'absent.yaml'), dataFile: join(dir, 'none.json') })).rejects.toThrow(/cannot read the pricing data file/);
  });
});
