import { describe, expect, it } from 'vitest';
import { CorruptRunFileError } from '../../../src/store/index.js';
import { trimTrace } from '../../../src/store/trace-trim.js';

const span = (spanId: string, parentSpanId: string, code: number | string = 0) => ({ spanId, parentSpanId, name: spanId, status: { code } });

describe('trimTrace', () => {
  it('keeps roots, spans whose parent is not in the file, and error spans; drops emptied blocks', () => {
    const request = {
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }, scopeSpans: [
          { scope: { name: 'one' }, spans: [span('r', ''), span('c1', 'r'), span('e1', 'r', 2)] },
          { scope: { name: 'two' }, spans: [span('c2', 'r')] },
        ] },
        { resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'three' }, spans: [span('e2', 'c1', 'STATUS_CODE_ERROR'), span('o', 'elsewhere')] }] },
      ],
    };
    const trimmed = trimTrace(JSON.stringify(request), 'run X');
    expect(trimmed.kept).toBe(4);
    expect(trimmed.total).toBe(6);
    expect(JSON.parse(trimmed.text)).toEqual({
      resourceSpans: [
        { resource: request.resourceSpans[0]!.resource, scopeSpans: [{ scope: { name: 'one' }, spans: [span('r', ''), span('e1', 'r', 2)] }] },
        { resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'three' }, spans: [span('e2', 'c1', 'STATUS_CODE_ERROR'), span('o', 'elsewhere')] }] },
      ],
    });
    // Trimming again changes nothing: an interrupted sampling run may do it twice.
    expect(trimTrace(trimmed.text, 'run X').text).toBe(trimmed.text);
  });

  it('refuses text that is not an OTLP/JSON request', () => {
    expect(() => trimTrace('{', 'run X')).toThrow(CorruptRunFileError);
    expect(() => trimTrace('{"spans":[]}', 'run X')).toThrow(/no resourceSpans/);
  });
});
