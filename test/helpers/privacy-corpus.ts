/**
 * The privacy test corpus: secrets and personal data of every kind of INTERFACE.md §8 in the
 * real formats (each value is unique, so a byte scan can look for it), and values that must
 * never be taken for either. Unit tests, the end-to-end test and the benchmark use it.
 */

/** One value that must be scrubbed. */
export interface Sample {
  kind: string;
  /** The text sent. */
  text: string;
  /** What must not be found anywhere afterwards (the secret part of `text`; default all of it). */
  needle?: string;
  /** What stands where the value was with the label replacement (default `[REDACTED:<kind>]`). */
  replaced?: string;
  /** Sent as the value of this attribute key (a value known only by its key's name). */
  key?: string;
}

/** Deterministic letters and digits (a fixed-seed LCG), so every run sends the same corpus. */
export function fakeChars(length: number, seed: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string {
  let state = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';

// An RSA key's DER starts with 0x30 0x82, "MII" in base64; the rest is filler of the right alphabet.
const PEM_BODY = `MIIEowIBAAKCAQEA${fakeChars(48, 7)}\n${fakeChars(64, 8)}\n${fakeChars(64, 9)}\n${fakeChars(40, 10)}==`;

/** Secrets: a test vector of each key format, credential syntax and key-named value. */
export const SECRET_SAMPLES: readonly Sample[] = [
  { kind: 'openai', text: `sk-proj-${fakeChars(74, 1)}T3BlbkFJ${fakeChars(74, 2)}` },
  { kind: 'openai', text: `sk-${fakeChars(20, 3)}T3BlbkFJ${fakeChars(20, 4)}` },
  { kind: 'openai', text: `sk-svcacct-${fakeChars(58, 5)}T3BlbkFJ${fakeChars(58, 6)}` },
  { kind: 'anthropic', text: `sk-ant-api03-${fakeChars(93, 11)}AA` },
  { kind: 'anthropic', text: `sk-ant-admin01-${fakeChars(93, 12)}AA` },
  { kind: 'aws', text: `AKIA${fakeChars(16, 13, UPPER_DIGITS)}` },
  { kind: 'aws', text: `ASIA${fakeChars(16, 14, UPPER_DIGITS)}` },
  { kind: 'github', text: `ghp_${fakeChars(36, 15)}` },
  { kind: 'github', text: `github_pat_${fakeChars(22, 16)}_${fakeChars(59, 17)}` },
  { kind: 'github', text: `ghs_${fakeChars(36, 18)}` },
  { kind: 'gitlab', text: `glpat-${fakeChars(20, 19)}` },
  { kind: 'slack', text: `xoxb-${fakeChars(12, 20, '0123456789')}-${fakeChars(13, 21, '0123456789')}-${fakeChars(24, 22)}` },
  { kind: 'slack', text: `https://hooks.slack.com/services/T${fakeChars(8, 23, UPPER_DIGITS)}/B${fakeChars(10, 24, UPPER_DIGITS)}/${fakeChars(24, 25)}` },
  { kind: 'google', text: `AIza${fakeChars(35, 26)}` },
  { kind: 'google', text: `GOCSPX-${fakeChars(28, 27)}` },
  { kind: 'stripe', text: `sk_live_${fakeChars(24, 28)}` },
  { kind: 'stripe', text: `rk_test_${fakeChars(24, 29)}` },
  { kind: 'npm', text: `npm_${fakeChars(36, 30)}` },
  { kind: 'sendgrid', text: `SG.${fakeChars(22, 31)}.${fakeChars(43, 32)}` },
  { kind: 'shopify', text: `shpat_${fakeChars(32, 33, HEX)}` },
  { kind: 'linear', text: `lin_api_${fakeChars(40, 34)}` },
  { kind: 'huggingface', text: `hf_${fakeChars(34, 35)}` },
  {
    kind: 'jwt',
    text: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyNDIiLCJuYW1lIjoiSmFuZSBUZXN0IiwiaWF0IjoxNzM2MTU5NDAwfQ.' + fakeChars(43, 36),
  },
  { kind: 'private_key', text: `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`, needle: PEM_BODY.slice(0, 40) },
  { kind: 'private_key', text: `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg${fakeChars(64, 37)}\n${fakeChars(72, 38)}=\n-----END PRIVATE KEY-----`, needle: fakeChars(64, 37) },
  { kind: 'bearer', text: `Bearer ${fakeChars(32, 39)}`, needle: fakeChars(32, 39), replaced: 'Bearer [REDACTED:bearer]' },
  {
    kind: 'basic_auth',
    text: `Basic ${Buffer.from('alice:Corr3ct-Horse-42').toString('base64')}`,
    needle: Buffer.from('alice:Corr3ct-Horse-42').toString('base64'),
    replaced: 'Basic [REDACTED:basic_auth]',
  },
  {
    kind: 'url_password',
    text: 'postgres://app:Pg-Pass-8842x@db.internal:5432/app',
    needle: 'Pg-Pass-8842x',
    replaced: 'postgres://app:[REDACTED:url_password]@db.internal:5432/app',
  },
  {
    kind: 'url_password',
    text: 'https://deploy:Hx7-Deploy-Secret@git.example.org/repo.git',
    needle: 'Hx7-Deploy-Secret',
    replaced: 'https://deploy:[REDACTED:url_password]@git.example.org/repo.git',
  },
  { kind: 'secret', key: 'db.password', text: 'correct horse battery staple 9' },
  { kind: 'secret', key: 'x-api-key', text: 'internal-key-7f3a9c51' },
  { kind: 'secret', key: 'http.request.header.authorization', text: 'Token opaque-value-5521' },
  { kind: 'secret', key: 'oauth.access_token', text: 'at-7Hq2Lm-opaque' },
];

/** Personal data: emails, phone numbers (international and national), cards (Luhn), IBANs, SSNs, IPs. */
export const PII_SAMPLES: readonly Sample[] = [
  { kind: 'email', text: 'jane.doe@example.com' },
  { kind: 'email', text: 'j.smith+agents@mail.example.co.uk' },
  { kind: 'email', text: 'ops_team-7@corp-example.io' },
  { kind: 'email', text: 'Pierre.Martin@exemple.fr' },
  { kind: 'phone', text: '+1 415 555 0132' },
  { kind: 'phone', text: '+44 20 7946 0958' },
  { kind: 'phone', text: '+33 1 23 45 67 89' },
  { kind: 'phone', text: '+49 30 12345678' },
  { kind: 'phone', text: '+14155550177' },
  { kind: 'phone', text: '(415) 555-0198' },
  { kind: 'phone', text: '212-555-0143' },
  { kind: 'phone', text: '020 7946 0321' },
  { kind: 'phone', text: '06 12 34 56 78' },
  { kind: 'card', text: '4111 1111 1111 1111' },
  { kind: 'card', text: '5555-5555-5555-4444' },
  { kind: 'card', text: '378282246310005' },
  { kind: 'card', text: '6011111111111117' },
  { kind: 'card', text: '4012888888881881' },
  { kind: 'iban', text: 'DE89 3704 0044 0532 0130 00' },
  { kind: 'iban', text: 'GB82WEST12345698765432' },
  { kind: 'iban', text: 'FR1420041010050500013M02606' },
  { kind: 'iban', text: 'NL91ABNA0417164300' },
  { kind: 'ssn', text: '078-05-1120' },
  { kind: 'ssn', text: '219-09-9999' },
  { kind: 'ssn', text: '536 22 8147' },
  { kind: 'ip', text: '203.0.113.42' },
  { kind: 'ip', text: '198.51.100.7' },
  { kind: 'ip', text: '2001:db8:85a3::8a2e:370:7334' },
  { kind: 'ip', text: 'fe80::1ff:fe23:4567:890a' },
];

/** Every sample. */
export const SAMPLES: readonly Sample[] = [...SECRET_SAMPLES, ...PII_SAMPLES];

/** What must be absent after scrubbing. */
export function needleOf(sample: Sample): string {
  return sample.needle ?? sample.text;
}

/** What the label replacement makes of the sample's text. */
export function replacedOf(sample: Sample): string {
  return sample.replaced ?? `[REDACTED:${sample.kind}]`;
}

/**
 * Values that look a little like the above and must be left exactly as they are: token
 * counts, ids, ULIDs, timestamps, model names, versions, ordinary numbers and words.
 */
export const NEGATIVES: readonly { key: string; value: string | number }[] = [
  { key: 'gen_ai.usage.input_tokens', value: 1800 },
  { key: 'gen_ai.usage.output_tokens', value: 650 },
  { key: 'gen_ai.usage.total_tokens', value: '2450' },
  { key: 'llm.token_count.prompt', value: 4111111111111111 },
  { key: 'llm.token_count.completion', value: '512' },
  { key: 'max_tokens', value: '4096' },
  { key: 'gen_ai.request.max_tokens', value: 16384 },
  { key: 'tokenizer', value: 'cl100k_base' },
  { key: 'paracle.parent.trace_id', value: '4bf92f3577b34da6a3ce929d0e0e4736' },
  { key: 'paracle.parent.span_id', value: '00f067aa0ba902b7' },
  { key: 'paracle.numeric.span_id', value: '4111111111111112' },
  { key: 'run.ulid', value: '01HN7X8K9M2PQRSTUVWXYZ3456' },
  { key: 'request.id', value: '550e8400-e29b-41d4-a716-446655440000' },
  { key: 'event.time', value: '2026-01-06T10:30:00.123Z' },
  { key: 'event.date', value: '2026-01-06' },
  { key: 'event.clock', value: '10:30:00' },
  { key: 'event.unix_ms', value: '1736159400123' },
  { key: 'event.unix_ns', value: '1736159400123456789' },
  { key: 'event.unix_s', value: '1736159400' },
  { key: 'gen_ai.request.model', value: 'gpt-4o-2024-08-06' },
  { key: 'gen_ai.response.model', value: 'claude-3-5-sonnet-20241022' },
  { key: 'llm.model_name', value: 'gemini-1.5-pro-002' },
  { key: 'model.alt', value: 'llama-3.1-70b-instruct' },
  { key: 'model.embed', value: 'text-embedding-3-small' },
  { key: 'telemetry.sdk.version', value: '2.12.1' },
  { key: 'service.version', value: 'v0.223.1' },
  { key: 'os.version', value: '10.0.19045' },
  { key: 'process.runtime.version', value: '20.19.43' },
  { key: 'app.build', value: '2026.1.15' },
  { key: 'answer.number', value: '42' },
  { key: 'answer.pi', value: '3.14159' },
  { key: 'answer.big', value: '1,234,567' },
  { key: 'answer.negative', value: '-17.5' },
  { key: 'answer.sci', value: '6.02e23' },
  { key: 'answer.percent', value: '99.9%' },
  { key: 'answer.money', value: '$1,024.50' },
  { key: 'answer.range', value: '100-200' },
  { key: 'http.response.status_code', value: 200 },
  { key: 'server.port', value: 443 },
  { key: 'url.full', value: 'https://api.openai.com/v1/chat/completions' },
  { key: 'code.filepath', value: '/usr/local/lib/node_modules/paracle/dist/cli/main.js' },
  { key: 'message.plain', value: 'The bearer of this note is a basic usage example; the tokenizer counts 512 tokens.' },
  { key: 'message.code', value: 'std::vector<int> v; auto x = a::b(c);' },
  { key: 'message.ratio', value: 'aspect ratio 16:9 at 10:30:00' },
  { key: 'gen_ai.operation.name', value: 'chat' },
  { key: 'paracle.agent.id', value: 'coder-v2' },
  { key: 'color', value: '#ff00aa' },
  { key: 'task.name', value: 'task-management-system-overview-2026' },
];
