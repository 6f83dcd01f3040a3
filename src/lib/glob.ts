/**
 * Globs over ids (agent and workflow ids of token scopes): `*` matches any run of characters
 * (none included), `?` exactly one, every other character itself; case matters. The same
 * pattern compiles to a JavaScript RegExp and to an SQLite `GLOB` pattern that match the same
 * strings, so a scope filters a query in the index exactly as it judges one run.
 */

const REGEX_SPECIAL = /[\\^$.|+()[\]{}]/g;

/** A compiled, anchored RegExp for `glob` (code points, so `?` is one character as in SQLite). */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(REGEX_SPECIAL, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}

/**
 * `glob` as an SQLite `GLOB` pattern: `*` and `?` keep their meaning and `[`, SQLite's
 * character-class opener, is made literal (`[[]`).
 */
export function globToSqlite(glob: string): string {
  return glob.replaceAll('[', '[[]');
}
