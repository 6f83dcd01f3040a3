/**
 * Per-item validation of ids and the `partial_success` bookkeeping: items with unusable ids
 * are counted and the first problem is kept to explain the rejection in one sentence.
 */

/** What kind of item was rejected, for the message. */
export type ItemNoun = 'span' | 'log record';

/** Byte length of an id as received; -1 when a JSON id is not hex text. */
export type IdLength = number;

/**
 * Describes what is wrong with an id, or returns '' when it is acceptable. An id must have
 * `want` bytes and not be all zero; an `optional` id may also be absent (0 bytes).
 */
export function idProblem(field: string, length: IdLength, allZero: boolean, want: number, optional: boolean): string {
  if (length === want && (!allZero || optional)) return '';
  if (length === 0) return optional ? '' : `no ${field}`;
  if (length === -1) return `a ${field} that is not hex (OTLP/JSON ids are hex, not base64)`;
  if (length !== want) return `a ${field} of ${length} bytes, want ${want}${optional ? ' or none' : ''}`;
  return `an all-zero ${field}`;
}

/** Counts rejected items of one request and keeps the first reason. */
export class Rejections {
  count = 0;
  private first = '';
  private readonly noun: ItemNoun;

  constructor(noun: ItemNoun) {
    this.noun = noun;
  }

  /** Records one rejected item; `label` names it (a span name or `#3`), `problem` says why. */
  add(label: string, problem: string): void {
    if (this.count === 0) this.first = `${this.noun} ${label} has ${problem}`;
    this.count++;
  }

  /** `2 spans rejected: span "foo" has a trace_id of 3 bytes, want 16`, or '' if none. */
  message(): string {
    if (this.count === 0) return '';
    return `${this.count} ${this.noun}${this.count === 1 ? '' : 's'} rejected: ${this.first}`;
  }
}

/** How a rejected item is named: its name in quotes, else its position in the request. */
export function itemLabel(name: string, index: number): string {
  return name === '' ? `#${index + 1}` : JSON.stringify(name);
}
