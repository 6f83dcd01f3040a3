/**
 * secretlint's recommended rule preset as an independent oracle for the key formats: every
 * test vector of a format it knows must be flagged by it (so the vectors are real formats),
 * and nothing it flags may survive the scrubber.
 */
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { describe, expect, it } from 'vitest';
import { RedactionTally, Scrubber } from '../../../src/privacy/index.js';
import { SECRET_SAMPLES, needleOf } from '../../helpers/privacy-corpus.js';

// The AWS key id scan is off in the preset by default.
const config = {
  rules: [
    {
      id: '@secretlint/secretlint-rule-preset-recommend',
      rule: recommended,
      rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
    },
  ],
};

/** The texts secretlint flags in `content`. */
async function secretlintFindings(content: string): Promise<string[]> {
  const result = await lintSource({
    source: { content, filePath: '/corpus.txt', ext: '.txt', contentType: 'text' },
    options: { config, locale: 'en', maskSecrets: false },
  });
  return result.messages.map((m) => content.slice(m.range[0], m.range[1]));
}

// The kinds the preset has a rule for (its basicauth rule is about URL credentials).
const KNOWN_TO_SECRETLINT = new Set(['openai', 'anthropic', 'aws', 'github', 'slack', 'npm', 'sendgrid', 'shopify', 'linear', 'private_key', 'url_password']);

describe('secretlint recommended preset (11.7) as an oracle', () => {
  const scrubber = new Scrubber({ scrubPii: true, scrubSecrets: true, replacement: 'label', customPatterns: [], allowKeys: [] });
  // The preset's Anthropic rule knows API keys only, not admin keys.
  const vectors = SECRET_SAMPLES.filter((s) => s.key === undefined && KNOWN_TO_SECRETLINT.has(s.kind) && !s.text.startsWith('sk-ant-admin'));

  it('covers most of the formats', () => {
    expect(new Set(vectors.map((v) => v.kind)).size).toBeGreaterThanOrEqual(9);
  });

  it.each(vectors.map((v) => [v.kind, v.text, v] as const))('%s: secretlint flags the vector, and nothing of it after scrubbing', async (_kind, text, sample) => {
    const content = `const value = "${text.replace(/\n/g, '\\n')}";\n`;
    expect(await secretlintFindings(content)).not.toEqual([]);
    const scrubbed = scrubber.text(content, new RedactionTally());
    expect(scrubbed).not.toContain(needleOf(sample));
    // Its connection-string rule still flags `postgres://app:[REDACTED:url_password]@…`: the replacement, not a secret.
    for (const flagged of await secretlintFindings(scrubbed)) expect(flagged).toContain('[REDACTED:');
  });
});
