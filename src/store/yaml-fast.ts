/**
 * A renderer of the plain data metadata.yaml holds (maps, lists, strings, numbers,
 * booleans, null) that gives, byte for byte, what `yaml`'s stringify gives with the
 * store's options (double-quoted strings, plain keys, no folding, block collections), at a
 * fraction of the cost. It renders only values it knows it renders the same: for anything
 * else (a string needing escapes, a key needing quotes, a number in exponent form...) it
 * returns null and the caller uses the library.
 */
export function renderPlainYaml(fields: Record<string, unknown>): string | null {
  const out: string[] = [];
  return writeMap(fields, '', out) ? out.join('') : null;
}

// No ASCII control character, `"` or `\`: double-quoted as is (the library escapes only these).
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const SIMPLE_STRING = /^[^\x00-\x1f\x7f"\\]*$/;
const PLAIN_KEY = /^[a-z][a-z0-9_]*$/;
// Plain keys a YAML reader would take for something other than a string.
const SPECIAL_KEYS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n']);

/** A scalar or an empty collection on the line of its key or dash; null when not known. */
function inline(value: unknown): string | null {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return SIMPLE_STRING.test(value) ? `"${value}"` : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) return null;
    const text = String(value);
    return text.includes('e') ? null : text;
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : null;
  if (isPlainObject(value)) return Object.keys(value).length === 0 ? '{}' : null;
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function isCollection(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : isPlainObject(value) && Object.keys(value).length > 0;
}

/** Lines of a non-empty map, each key at `indent`; the first line's indent is the caller's when `first` is given. */
function writeMap(map: Record<string, unknown>, indent: string, out: string[], first = indent): boolean {
  let lead = first;
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue;
    if (!PLAIN_KEY.test(key) || SPECIAL_KEYS.has(key)) return false;
    if (isCollection(value)) {
      out.push(`${lead}${key}:\n`);
      if (!writeNested(value, `${indent}  `, out)) return false;
    } else {
      const text = inline(value);
      if (text === null) return false;
      out.push(`${lead}${key}: ${text}\n`);
    }
    lead = indent;
  }
  return true;
}

function writeNested(value: unknown, indent: string, out: string[]): boolean {
  if (!Array.isArray(value)) return writeMap(value as Record<string, unknown>, indent, out);
  for (const item of value) {
    if (isCollection(item)) {
      // A map in a list starts on the dash's line; a list in a list is left to the library.
      if (Array.isArray(item)) return false;
      if (!writeMap(item as Record<string, unknown>, `${indent}  `, out, `${indent}- `)) return false;
    } else {
      const text = inline(item);
      if (text === null) return false;
      out.push(`${indent}- ${text}\n`);
    }
  }
  return true;
}
