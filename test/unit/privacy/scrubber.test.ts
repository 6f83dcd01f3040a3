import { describe, expect, it } from 'vitest';
import { anyValue, type KeyValue } from '../../../src/model/index.js';
import { RedactionTally, Scrubber, type PrivacySettings } from '../../../src/privacy/index.js';
import { NEGATIVES, SAMPLES, needleOf, replacedOf } from '../../helpers/privacy-corpus.js';

const DEFAULTS: PrivacySettings = { scrubPii: true, scrubSecrets: true, replacement: 'label', customPatterns: [], allowKeys: [] };

function scrubber(settings: Partial<PrivacySettings> = {}): Scrubber {
  return new Scrubber({ ...DEFAULTS, ...settings });
}

function scrubText(text: string, settings: Partial<PrivacySettings> = {}): { out: string; tally: Record<string, number> } {
  const tally = new RedactionTally();
  const out = scrubber(settings).text(text, tally);
  return { out, tally: Object.fromEntries(tally.entries()) };
}

function scrubAttributes(attrs: Record<string, unknown>, settings: Partial<PrivacySettings> = {}): { attrs: KeyValue[]; tally: Record<string, number> } {
  const kvs: KeyValue[] = Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));
  const tally = new RedactionTally();
  scrubber(settings).attributes(kvs, tally);
  return { attrs: kvs, tally: Object.fromEntries(tally.entries()) };
}

const formatSamples = SAMPLES.filter((s) => s.key === undefined);

describe('Scrubber: every sample of the corpus', () => {
  it.each(formatSamples.map((s) => [s.kind, s.text, s] as const))('%s: %s alone becomes its replacement', (kind, text, sample) => {
    expect(scrubText(text)).toEqual({ out: replacedOf(sample), tally: { [kind]: 1 } });
  });

  it.each(formatSamples.map((s) => [s.kind, s.text, s] as const))('%s: %s inside prose, JSON and a log line', (kind, text, sample) => {
    const embeddings = [
      (v: string) => `Please use ${v} for this.`,
      (v: string) => JSON.stringify({ role: 'user', content: `my value is ${v}, thanks` }),
      (v: string) => `2026-01-06 INFO request failed value=(${v})`,
    ];
    for (const embed of embeddings) {
      const { out, tally } = scrubText(embed(text));
      expect(out).not.toContain(needleOf(sample));
      expect(out).toBe(embed(replacedOf(sample)).replace(JSON.stringify(replacedOf(sample)).slice(1, -1), replacedOf(sample)));
      expect(tally).toEqual({ [kind]: 1 });
    }
  });

  it.each(SAMPLES.filter((s) => s.key !== undefined).map((s) => [s.key!, s.text] as const))('a value of the sensitive key %s is a secret', (key, text) => {
    const { attrs, tally } = scrubAttributes({ [key]: text });
    expect(attrs[0]!.value).toEqual({ stringValue: '[REDACTED:secret]' });
    expect(tally).toEqual({ secret: 1 });
  });
});

describe('Scrubber: the false-positive corpus', () => {
  it.each(NEGATIVES.map((n) => [n.key, n.value] as const))('%s = %s is left as it is', (key, value) => {
    const { attrs, tally } = scrubAttributes({ [key]: value });
    expect(attrs[0]!.value).toEqual(anyValue(value));
    expect(tally).toEqual({});
  });
});
