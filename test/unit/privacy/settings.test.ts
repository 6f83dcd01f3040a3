import { describe, expect, it } from 'vitest';
import { anyValue, type AnyValue, type KeyValue } from '../../../src/model/index.js';
import { classifyKey, customPatternProblem, RedactionTally, Scrubber, type PrivacySettings } from '../../../src/privacy/index.js';
import { SAMPLES } from '../../helpers/privacy-corpus.js';

const DEFAULTS: PrivacySettings = { scrubPii: true, scrubSecrets: true, replacement: 'label', customPatterns: [], allowKeys: [] };
const make = (settings: Partial<PrivacySettings> = {}): Scrubber => new Scrubber({ ...DEFAULTS, ...settings });
const text = (s: Scrubber, t: string, tally = new RedactionTally()): string => s.text(t, tally);
const counts = (tally: RedactionTally): Record<string, number> => Object.fromEntries(tally.entries());

describe('replacement: hmac', () => {
  const hmac = make({ replacement: 'hmac', hmacKey: 'k1' });

  it('writes [<kind>:<12 hex>], the same for the same value, different for another', () => {
    const a = text(hmac, 'mail jane.doe@example.com');
    expect(a).toMatch(/^mail \[email:[0-9a-f]{12}\]$/);
    expect(text(make({ replacement: 'hmac', hmacKey: 'k1' }), 'to jane.doe@example.com')).toBe(a.replace('mail', 'to'));
    expect(text(hmac, 'mail john.roe@example.com')).not.toBe(a);
  });

  it('depends on the key', () => {
    expect(text(make({ replacement: 'hmac', hmacKey: 'k2' }), 'mail jane.doe@example.com')).not.toBe(text(hmac, 'mail jane.doe@example.com'));
  });

  it('needs a key', () => {
    expect(() => make({ replacement: 'hmac' })).toThrow(/needs a key/);
  });
});

describe('custom_patterns (RE2)', () => {
  it('replaces matches with [REDACTED:<name>] and counts them by name', () => {
    const s = make({ customPatterns: [{ name: 'employee_id', regex: 'EMP-\\d{6}' }, { name: 'ticket', regex: '(?i)tck-[a-z]{3}' }] });
    const tally = new RedactionTally();
    expect(text(s, 'EMP-123456 filed TCK-abc and tck-XYZ', tally)).toBe('[REDACTED:employee_id] filed [REDACTED:ticket] and [REDACTED:ticket]');
    expect(counts(tally)).toEqual({ employee_id: 1, ticket: 2 });
  });

  it('rejects look-around, backreferences, bad syntax and empty matches', () => {
    expect(customPatternProblem('(?=x)y')).toMatch(/not RE2 syntax/);
    expect(customPatternProblem('(a)\\1')).toMatch(/not RE2 syntax/);
    expect(customPatternProblem('(?<!a)b')).toMatch(/not RE2 syntax/);
    expect(customPatternProblem('[a-')).toMatch(/not RE2 syntax/);
    expect(customPatternProblem('a*')).toMatch(/empty text/);
    expect(customPatternProblem('EMP-\\d{6}')).toBeNull();
  });

  it('runs a catastrophic-backtracking pattern in linear time', () => {
    const s = make({ customPatterns: [{ name: 'redos', regex: '(a+)+$' }, { name: 'redos2', regex: '(x+x+)+y' }] });
    const input = `${'a'.repeat(20_000)}!${'x'.repeat(20_000)}`;
    const started = performance.now();
    expect(text(s, input)).toBe(input);
    // A backtracking engine needs longer than the universe's age here; linear is milliseconds.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('families and keys', () => {
  it('scrub_pii: false leaves personal data, scrub_secrets: false leaves secrets and key names', () => {
    const mixed = 'jane.doe@example.com ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 password=hunter2';
    expect(text(make({ scrubPii: false }), mixed)).toBe('jane.doe@example.com [REDACTED:github] password=[REDACTED:secret]');
    expect(text(make({ scrubSecrets: false }), mixed)).toBe('[REDACTED:email] ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 password=hunter2');
    expect(make({ scrubPii: false, scrubSecrets: false }).active).toBe(false);
  });

  it.each([
    ['authorization', 'secret'],
    ['Authorization', 'secret'],
    ['x-api-key', 'secret'],
    ['X_API_KEY', 'secret'],
    ['apiKey', 'secret'],
    ['OPENAI_API_KEY', 'secret'],
    ['db.password', 'secret'],
    ['dbPassword', 'secret'],
    ['client_secret', 'secret'],
    ['aws_secret_access_key', 'secret'],
    ['access_token', 'token'],
    ['session.token', 'token'],
    ['max_tokens', 'token'],
    ['gen_ai.usage.input_tokens', 'plain'],
    ['llm.token_count.prompt', 'plain'],
    ['tokenizer', 'plain'],
    ['token_type', 'plain'],
    ['gen_ai.request.model', 'plain'],
  ])('key %s is %s', (key, expected) => {
    expect(classifyKey(key)).toBe(expected);
  });

  it('allow_keys are never scrubbed; other keys are', () => {
    const kvs: KeyValue[] = [
      { key: 'ticket.reporter', value: anyValue('jane.doe@example.com') },
      { key: 'ticket.password', value: anyValue('hunter2') },
      { key: 'user.email', value: anyValue('jane.doe@example.com') },
    ];
    make({ allowKeys: ['ticket.reporter', 'ticket.password'] }).attributes(kvs, new RedactionTally());
    expect(kvs.map((kv) => kv.value)).toEqual([anyValue('jane.doe@example.com'), anyValue('hunter2'), anyValue('[REDACTED:email]')]);
  });

  it('walks arrays and key-value lists: nested keys count, everything under a secret key is secret', () => {
    const value = anyValue({ headers: { Authorization: 'Bearer abcdefgh12345678', accept: 'json' }, credentials: ['a', { x: 'b' }], to: ['jane.doe@example.com'] });
    const tally = new RedactionTally();
    make().attributes([{ key: 'http', value }], tally);
    expect(value).toEqual(anyValue({ headers: { Authorization: 'Bearer [REDACTED:bearer]', accept: 'json' }, credentials: ['[REDACTED:secret]', { x: '[REDACTED:secret]' }], to: ['[REDACTED:email]'] }));
    expect(counts(tally)).toEqual({ bearer: 1, secret: 2, email: 1 });
  });

  it('scrubs UTF-8 text in bytes values and *base64 attributes, and leaves binary alone', () => {
    const utf8 = Buffer.from('report for jane.doe@example.com\n').toString('base64');
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, ...Buffer.from(' jane.doe@example.com')]).toString('base64');
    const kvs: KeyValue[] = [
      { key: 'artifact.content_base64', value: { stringValue: utf8 } },
      { key: 'artifact.content', value: { bytesValue: utf8 } },
      { key: 'image_base64', value: { stringValue: binary } },
    ];
    make().attributes(kvs, new RedactionTally());
    const decoded = (v: AnyValue): string => Buffer.from('stringValue' in v ? v.stringValue : 'bytesValue' in v ? v.bytesValue : '', 'base64').toString('utf8');
    expect(decoded(kvs[0]!.value)).toBe('report for [REDACTED:email]\n');
    expect(decoded(kvs[1]!.value)).toBe('report for [REDACTED:email]\n');
    expect(kvs[2]!.value).toEqual({ stringValue: binary });
  });

  it('numbers and booleans are never changed, even under a secret key', () => {
    const kvs: KeyValue[] = [{ key: 'password', value: anyValue(1234) }, { key: 'token', value: anyValue(true) }];
    make().attributes(kvs, new RedactionTally());
    expect(kvs.map((kv) => kv.value)).toEqual([anyValue(1234), anyValue(true)]);
  });
});

describe('idempotence', () => {
  it.each(['label', 'hmac'] as const)('scrubbing scrubbed data (%s) changes and counts nothing', (replacement) => {
    const s = make({ replacement, hmacKey: 'k' });
    const corpus = SAMPLES.map((sample) => (sample.key ? `${sample.key}=${sample.text}` : sample.text)).join('\n');
    const once = text(s, corpus);
    const tally = new RedactionTally();
    expect(text(s, once, tally)).toBe(once);
    expect(tally.total).toBe(0);
    const kvs: KeyValue[] = [{ key: 'db.password', value: anyValue(text(s, 'db.password=x').slice('db.password='.length)) }];
    make({ replacement, hmacKey: 'k' }).attributes(kvs, tally);
    expect(tally.total).toBe(0);
  });
});

describe('built-in detectors stay linear on hostile text', () => {
  it.each([
    ['a long word', 'a'.repeat(200_000)],
    ['local parts without a domain', 'a.'.repeat(100_000)],
    ['at signs', 'a@'.repeat(100_000)],
    ['digits', '4'.repeat(200_000)],
    ['spaced digits', '4 '.repeat(100_000)],
    ['colons', 'a:'.repeat(100_000)],
    ['key words', 'tokentoken='.repeat(20_000)],
    ['PEM headers', '-----BEGIN RSA PRIVATE KEY-----'.repeat(5_000)],
    ['JWT parts', 'eyJaaaa.'.repeat(25_000)],
    ['slack dashes', `xoxb-${'a1-'.repeat(60_000)}`],
    ['plus signs', '+1 2'.repeat(50_000)],
  ])('%s (200 KB) in well under a second', (_name, input) => {
    const s = make({ replacement: 'label' });
    const started = performance.now();
    text(s, input);
    // Linear scanning takes milliseconds; a quadratic pattern would take minutes.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
