/** One line of a run's logs.txt (INTERFACE.md §2), split into its parts. */
export interface LogLine {
  time: string;
  level: string;
  span: string;
  spanId: string;
  message: string;
  /** The other key=value pairs, in order. */
  attributes: [string, string][];
  raw: string;
}

/**
 * Splits `logs.txt` text into lines: `TIME LEVEL span=.. trace_id=.. span_id=.. msg="..." k=v`,
 * values bare or JSON-quoted. A line that does not follow the format keeps its text as the message.
 */
export function parseLogs(text: string): LogLine[] {
  return text.split('\n').filter((line) => line !== '').map(parseLine);
}

function parseLine(raw: string): LogLine {
  const first = raw.indexOf(' ');
  const second = raw.indexOf(' ', first + 1);
  const line: LogLine = { time: '', level: '', span: '', spanId: '', message: raw, attributes: [], raw };
  if (first < 0 || second < 0) return line;
  line.time = raw.slice(0, first);
  line.level = raw.slice(first + 1, second);
  line.message = '';
  let i = second + 1;
  while (i < raw.length) {
    const eq = raw.indexOf('=', i);
    if (eq < 0) break;
    const key = raw.slice(i, eq);
    const [value, next] = readValue(raw, eq + 1);
    if (key === 'span') line.span = value;
    else if (key === 'span_id') line.spanId = value;
    else if (key === 'msg') line.message = value;
    else if (key !== 'trace_id') line.attributes.push([key, value]);
    i = next + 1;
  }
  return line;
}

/** A bare or JSON-quoted value starting at `start`; returns it and the index after it. */
function readValue(raw: string, start: number): [string, number] {
  if (raw[start] !== '"') {
    const end = raw.indexOf(' ', start);
    return end < 0 ? [raw.slice(start), raw.length] : [raw.slice(start, end), end];
  }
  let i = start + 1;
  while (i < raw.length && raw[i] !== '"') i += raw[i] === '\\' ? 2 : 1;
  try {
    return [JSON.parse(raw.slice(start, i + 1)) as string, i + 1];
  } catch {
    return [raw.slice(start + 1, i), i + 1];
  }
}
