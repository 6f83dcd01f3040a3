import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces } from '../../../src/codec/otlp/index.js';
import type { EncodedRequest } from '../../../src/contracts/index.js';
import { Scrubber, scrubTextStream, SNIFF_BYTES, type RedactionTally } from '../../../src/privacy/index.js';
import { Redaction, RedactStage } from '../../../src/processor/redact/index.js';
import type { LogRecord, Span } from '../../../src/model/index.js';

const scrubber = new Scrubber({ scrubPii: true, scrubSecrets: true, replacement: 'label', customPatterns: [], allowKeys: [] });

function recorder(): { counted: Record<string, number>; redacted(counts: Iterable<[string, number]>): void } {
  const counted: Record<string, number> = {};
  return { counted, redacted: (counts) => { for (const [k, n] of counts) counted[k] = (counted[k] ?? 0) + n; } };
}

const str = (stringValue: string) => ({ stringValue });
const request = (attributes: { key: string; value: unknown }[], name = 'invoke_agent a') => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: str('svc') }, { key: 'host.ip', value: str('203.0.113.9') }] },
      scopeSpans: [
        {
          scope: { name: 'lib' },
          spans: [1, 2].map((n) => ({
            traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: `00f067aa0ba902b${n}`, name, startTimeUnixNano: '1', endTimeUnixNano: '2',
            attributes, status: { code: 2, message: n === 1 ? 'failed for jane.doe@example.com' : '' },
            events: [{ name: 'exception', timeUnixNano: '1', attributes: [{ key: 'exception.message', value: str('token=abc123xyz') }] }],
          })),
        },
      ],
    },
  ],
});

describe('Redaction', () => {
  it('passes the same request on when nothing is found', () => {
    const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'chat gpt-4o', startTimeUnixNano: '1', endTimeUnixNano: '2', attributes: [{ key: 'gen_ai.request.model', value: str('gpt-4o') }] };
    const body = Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
    const source: EncodedRequest = { format: 'json', body };
    const metrics = recorder();
    const spans = decodeTraces(body, 'json').spans;
    expect(new Redaction(scrubber, metrics).transformSpans(spans, source)).toBe(source);
    expect(metrics.counted).toEqual({});
  });

  it('scrubs every field, counts each item once (a shared resource once), and encodes the request again', () => {
    const body = Buffer.from(JSON.stringify(request([{ key: 'db.password', value: str('hunter2') }], 'lookup 4111 1111 1111 1111')));
    const metrics = recorder();
    const spans = decodeTraces(body, 'json').spans;
    const kept = new Redaction(scrubber, metrics).transformSpans(spans, { format: 'protobuf', body })!;
    expect(kept.format).toBe('json');
    const again = decodeTraces(kept.body!, 'json').spans;
    expect(again).toEqual(spans);
    const [first, second] = again;
    expect(first!.name).toBe('lookup [REDACTED:card]');
    expect(first!.status.message).toBe('failed for [REDACTED:email]');
    expect(first!.events[0]!.attributes[0]!.value).toEqual(str('token=[REDACTED:secret]'));
    const counts = (kvs: { key: string; value: unknown }[]) => Object.fromEntries(kvs.filter((kv) => kv.key.startsWith('paracle.privacy.redactions.')).map((kv) => [kv.key, kv.value]));
    expect(counts(first!.attributes)).toEqual({
      'paracle.privacy.redactions.card': { intValue: '1' },
      'paracle.privacy.redactions.email': { intValue: '1' },
      'paracle.privacy.redactions.secret': { intValue: '2' },
    });
    expect(counts(second!.attributes)).toEqual({ 'paracle.privacy.redactions.card': { intValue: '1' }, 'paracle.privacy.redactions.secret': { intValue: '2' } });
    expect(counts(first!.origin.resource.attributes)).toEqual({ 'paracle.privacy.redactions.ip': { intValue: '1' } });
    expect(metrics.counted).toEqual({ card: 2, email: 1, secret: 4, ip: 1 });
  });

  it('finds nothing more in what it scrubbed (a replayed record counts nothing twice)', () => {
    const body = Buffer.from(JSON.stringify(request([{ key: 'api_key', value: str('abc') }])));
    const redaction = new Redaction(scrubber, recorder());
    const kept = redaction.transformSpans(decodeTraces(body, 'json').spans, { format: 'json', body })!;
    const metrics = recorder();
    expect(new Redaction(scrubber, metrics).transformSpans(decodeTraces(kept.body!, 'json').spans, kept)).toBe(kept);
    expect(metrics.counted).toEqual({});
  });

  it('scrubs log bodies and attributes', () => {
    const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { kvlistValue: { values: [{ key: 'msg', value: str('from +44 20 7946 0958') }] } }, attributes: [{ key: 'authorization', value: str('Bearer abcdefgh12345678') }] }] }] }] }));
    const logs = decodeLogs(body, 'json').logs;
    const kept = new Redaction(scrubber, recorder()).transformLogs(logs, { format: 'json', body })!;
    const [log] = decodeLogs(kept.body!, 'json').logs;
    expect(log!.body).toEqual({ kvlistValue: { values: [{ key: 'msg', value: str('from [REDACTED:phone]') }] } });
    expect(log!.attributes[0]!.value).toEqual(str('Bearer [REDACTED:bearer]'));
  });
});

describe('RedactStage', () => {
  const forged = (kind: string, n: number) => ({ key: `paracle.privacy.redactions.${kind}`, value: { intValue: String(n) } });
  const capture = () => {
    const got: { spans: Span[]; logs: LogRecord[]; source?: EncodedRequest } = { spans: [], logs: [] };
    const next = {
      consumeSpans: (spans: Span[], source?: EncodedRequest) => ((got.spans = spans), (got.source = source), Promise.resolve()),
      consumeLogs: (logs: LogRecord[], source?: EncodedRequest) => ((got.logs = logs), (got.source = source), Promise.resolve()),
    };
    return { got, next };
  };

  it('drops redaction counts a client sent, before scrubbing, from spans, resources and what goes to the log', async () => {
    const sent = request([forged('email', 1000), { key: 'note', value: str('mail jane.doe@example.com') }]);
    sent.resourceSpans[0]!.resource.attributes.push(forged('card', 500) as never);
    const body = Buffer.from(JSON.stringify(sent));
    const { got, next } = capture();
    await new RedactStage(new Redaction(scrubber, recorder()), next).consumeSpans(decodeTraces(body, 'json').spans, { format: 'json', body, decodedBytes: 123 });
    const stored = decodeTraces(got.source!.body!, 'json').spans;
    for (const spans of [got.spans, stored]) {
      const [first] = spans;
      expect(first!.attributes.find((kv) => kv.key === 'paracle.privacy.redactions.email')!.value).toEqual({ intValue: '2' });
      expect(first!.origin.resource.attributes.some((kv) => kv.key === 'paracle.privacy.redactions.card')).toBe(false);
    }
    expect(got.source!.decodedBytes).toBe(123);
  });

  it('drops them with the scrubber off too, and from log records', async () => {
    const off = new Scrubber({ scrubPii: false, scrubSecrets: false, replacement: 'label', customPatterns: [], allowKeys: [] });
    const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: str('hi'), attributes: [forged('secret', 9)] }] }] }] }));
    const { got, next } = capture();
    await new RedactStage(new Redaction(off, recorder()), next).consumeLogs(decodeLogs(body, 'json').logs, { format: 'json', body });
    expect(got.logs[0]!.attributes).toEqual([]);
    expect(decodeLogs(got.source!.body!, 'json').logs[0]!.attributes).toEqual([]);
  });

  it('passes a request without such counts on as it came', async () => {
    const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: str('hi') }] }] }] }));
    const source: EncodedRequest = { format: 'json', body };
    const { got, next } = capture();
    await new RedactStage(new Redaction(scrubber, recorder()), next).consumeLogs(decodeLogs(body, 'json').logs, source);
    expect(got.source).toBe(source);
  });
});

describe('scrubTextStream', () => {
  const run = async (chunks: Buffer[]): Promise<{ out: Buffer; counts: Record<string, number> }> => {
    let tally: RedactionTally | undefined;
    const out = await buffer(Readable.from(chunks).pipe(scrubTextStream(scrubber, (t) => (tally = t))));
    return { out, counts: Object.fromEntries(tally!.entries()) };
  };

  it('scrubs UTF-8 text, even split inside a character and a value across chunks', async () => {
    const text = Buffer.from('héllo jane.doe@example.com — ok\n');
    const cut = text.indexOf('@');
    const { out, counts } = await run([text.subarray(0, 2), text.subarray(2, cut), text.subarray(cut)]);
    expect(out.toString('utf8')).toBe('héllo [REDACTED:email] — ok\n');
    expect(counts).toEqual({ email: 1 });
  });

  it('stores anything that is not UTF-8 as sent', async () => {
    const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff]), Buffer.from(' jane.doe@example.com')]);
    expect((await run([binary])).out).toEqual(binary);
    const cutOff = Buffer.from('jane.doe@example.com é').subarray(0, -1);
    expect((await run([cutOff])).out).toEqual(cutOff);
  });

  it('scrubs a large text in pieces, a PEM block whole', async () => {
    const filler = `${'lorem ipsum dolor sit amet\n'.repeat(Math.ceil((SNIFF_BYTES * 1.5) / 27))}`;
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQ' + 'A'.repeat(64) + '\n' + 'B'.repeat(64) + '\n-----END PRIVATE KEY-----\n';
    const text = Buffer.from(filler + pem + 'mail jane.doe@example.com\n' + filler);
    const chunks: Buffer[] = [];
    for (let at = 0; at < text.length; at += 65_536) chunks.push(text.subarray(at, at + 65_536));
    const { out, counts } = await run(chunks);
    expect(out.toString('utf8')).toBe(filler + '[REDACTED:private_key]\nmail [REDACTED:email]\n' + filler);
    expect(counts).toEqual({ private_key: 1, email: 1 });
  });
});
