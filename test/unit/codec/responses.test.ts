import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { encodeExportResponse, encodeStatus, otlpRoot } from '../../../src/codec/otlp/index.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('encodeExportResponse', () => {
  it('writes an empty JSON object for full success', () => {
    expect(text(encodeExportResponse('traces', null, 'json'))).toBe('{}');
    expect(text(encodeExportResponse('logs', null, 'json'))).toBe('{}');
  });

  it('writes partialSuccess in JSON with the int64 count as a string', () => {
    expect(JSON.parse(text(encodeExportResponse('traces', { rejected: 2, message: 'why' }, 'json')))).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'why' },
    });
    expect(JSON.parse(text(encodeExportResponse('logs', { rejected: 1, message: 'm' }, 'json')))).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: 'm' },
    });
  });

  it('writes protobuf responses the OpenTelemetry exporters read back', () => {
    expect(encodeExportResponse('traces', null, 'protobuf')).toHaveLength(0);
    const traces = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', { rejected: 2, message: 'bad ids' }, 'protobuf'));
    expect(traces).toEqual({ partialSuccess: { rejectedSpans: 2, errorMessage: 'bad ids' } });
    const logs = ProtobufLogsSerializer.deserializeResponse(encodeExportResponse('logs', { rejected: 3, message: 'x' }, 'protobuf'));
    expect(logs).toEqual({ partialSuccess: { rejectedLogRecords: 3, errorMessage: 'x' } });
  });
});

describe('encodeStatus', () => {
  it('writes a google.rpc.Status in JSON', () => {
    expect(JSON.parse(text(encodeStatus(3, 'the request body is not valid JSON', 'json')))).toEqual({
      code: 3, message: 'the request body is not valid JSON',
    });
  });

  it('writes a google.rpc.Status in protobuf: code (field 1 varint) and message (field 2)', () => {
    const bytes = encodeStatus(3, 'bad', 'protobuf');
    expect(Buffer.from(bytes).toString('hex')).toBe('08031203626164');
    const status = otlpRoot.lookupType('google.rpc.Status');
    expect(status.toObject(status.decode(bytes))).toEqual({ code: 3, message: 'bad' });
  });

  it('adds a google.rpc.RetryInfo detail when the sender should retry later', () => {
    const status = otlpRoot.lookupType('google.rpc.Status');
    const decoded = status.toObject(status.decode(encodeStatus(14, 'busy', 'protobuf', 2)), { longs: Number });
    expect(decoded).toMatchObject({ code: 14, message: 'busy' });
    const [detail] = decoded.details as { typeUrl: string; value: Uint8Array }[];
    expect(detail?.typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const retryInfo = otlpRoot.lookupType('google.rpc.RetryInfo');
    expect(retryInfo.toObject(retryInfo.decode(detail!.value), { longs: Number })).toEqual({ retryDelay: { seconds: 2 } });
    expect(JSON.parse(text(encodeStatus(14, 'busy', 'json', 2)))).toEqual({
      code: 14, message: 'busy', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
    });
  });
});
