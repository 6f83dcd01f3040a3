/**
 * OTLP/JSON → the model in two sliced phases: {@link JsonParser} builds the JSON (only as
 * deep as the limits can use), {@link JsonConverter} turns it into spans or log records.
 * A small body is parsed by `JSON.parse`, faster and over within a few milliseconds.
 */
import { describeError, InvalidInputError } from '../../lib/index.js';
import type { ItemSink } from './items.js';
import { JsonConverter } from './json-convert.js';
import { JsonParser } from './json-parser.js';
import type { AttributeLimits, DecodeMeter } from './limits.js';
import type { Signal } from './types.js';

/**
 * JSON nesting the parser builds: a request's own levels around an attribute value (at most
 * 16, for a link's attribute), then four a level of key-value lists, the deepest spelling of
 * a value, up to one level past attribute_value_depth_limit (which is then emptied).
 */
function builtDepth(limits: Readonly<AttributeLimits>): number {
  return 16 + 4 * (limits.attributeValueDepth + 1);
}

/** Bodies up to this size are parsed at once by `JSON.parse` (a few ms of the event loop). */
export const NATIVE_PARSE_BYTES = 256 * 1024;
/** What `JSON.parse` builds per byte of body, at most (counted like the parser's own). */
const PARSED_BYTES_PER_BYTE = 12;

/** Decodes one OTLP/JSON body in steps. */
export class JsonDecoder {
  private parser: JsonParser | null;
  private converter: JsonConverter | null = null;
  private parsedBytes = 0;

  constructor(
    body: Buffer,
    private readonly signal: Signal,
    private readonly limits: Readonly<AttributeLimits>,
    private readonly meter: DecodeMeter,
    private readonly sink: ItemSink,
    nativeParseBytes = NATIVE_PARSE_BYTES,
  ) {
    if (body.length > nativeParseBytes) {
      this.parser = new JsonParser(body, builtDepth(limits), meter);
      return;
    }
    this.parser = null;
    this.parsedBytes = PARSED_BYTES_PER_BYTE * body.length;
    meter.add(this.parsedBytes);
    this.converter = new JsonConverter(parseAtOnce(body), signal, limits, meter, sink);
  }

  /** Works until done (true) or `deadline` (performance.now()) passed (false). */
  step(deadline: number): boolean {
    if (this.parser !== null) {
      if (!this.parser.step(deadline)) return false;
      this.parsedBytes = this.meter.bytes;
      this.converter = new JsonConverter(this.parser.value, this.signal, this.limits, this.meter, this.sink);
      this.parser = null;
    }
    if (!(this.converter as JsonConverter).step(deadline)) return false;
    // The parsed JSON is garbage now: only the decoded items stay counted.
    this.meter.forget(this.parsedBytes);
    return true;
  }
}

function parseAtOnce(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new InvalidInputError(`the request body is not valid JSON: ${describeError(err)}`, { cause: err });
  }
}
