import { describe, expect, it } from 'vitest';
import { metadataFields, renderMetadataFields } from '../../../src/store/index.js';
import { renderMetadataFieldsSlowly } from '../../../src/store/metadata.js';
import { renderPlainYaml } from '../../../src/store/yaml-fast.js';
import { agentRecord, stepRecord, workflowRecord } from './records.js';

// A small deterministic generator, so a failure can be replayed.
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const KEYS = ['run_id', 'name', 'status', 'y', 'null', 'Key', 'a-b', 'tokens_used', 'steps', 'x1'];
const CHARS = ['a', 'Z', ' ', '"', '\\', '\n', '\t', '\u0000', '\u007f', 'é', '日', '😀', '\u2028', ':', '#', '-', "'", '{', '0'];
const NUMBERS = [0, -0, 1, -7, 0.1 + 0.2, 1e-7, 1e21, 123456.789, -0.5, Number.NaN, Infinity, 2 ** 53];

function value(next: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const kind = Math.floor(next() * (depth > 2 ? 5 : 7));
  if (kind === 0) return null;
  if (kind === 1) return next() < 0.5;
  if (kind === 2) return pick(NUMBERS);
  if (kind <= 4) return Array.from({ length: Math.floor(next() * 12) }, () => (next() < 0.8 ? 'a' : pick(CHARS))).join('');
  if (kind === 5) return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [pick(KEYS), value(next, depth + 1)]));
}

describe('renderMetadataFields', () => {
  it('renders run metadata exactly as the yaml library does, without falling back', () => {
    const workflow = workflowRecord({ steps: [stepRecord({ stepId: 'plan' }), stepRecord({ stepId: 'code', status: 'running' })] });
    for (const record of [agentRecord(), agentRecord({ agentName: 'Résumé "bot"\n' }), workflow]) {
      const fields = metadataFields('01JB0000000000000000000000', record, { artifactsCount: 2 });
      expect(renderMetadataFields(fields)).toBe(renderMetadataFieldsSlowly(fields));
    }
    expect(renderPlainYaml(metadataFields('01JB0000000000000000000000', workflow, { artifactsCount: 0 }))).not.toBeNull();
  });

  it('renders any plain data exactly as the yaml library does', () => {
    const next = random(42);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const fields = Object.fromEntries(Array.from({ length: 1 + Math.floor(next() * 6) }, () => [KEYS[Math.floor(next() * KEYS.length)]!, value(next, 0)]));
      if (renderPlainYaml(fields) !== null) fast++;
      expect(renderMetadataFields(fields), JSON.stringify(fields)).toBe(renderMetadataFieldsSlowly(fields));
    }
    expect(fast).toBeGreaterThan(300);
  });

  it('keeps a long string on one line', () => {
    const fields = { text: 'word '.repeat(200) };
    expect(renderPlainYaml(fields)).toBe(renderMetadataFieldsSlowly(fields));
  });
});
