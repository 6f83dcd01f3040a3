/**
 * `privacy.custom_patterns`: the user's own patterns in RE2 syntax, run by re2js (a port of
 * RE2), whose time is linear in the text whatever the pattern, so no pattern can hang ingest.
 * Look-around and backreferences are not RE2 syntax: such a pattern is a config error.
 */
import { createRequire } from 'node:module';
import type * as Re2 from 're2js';
import type { RE2JS } from 're2js';

// Loaded only when a pattern is configured or checked.
const require = createRequire(import.meta.url);
let re2: typeof Re2 | undefined;
function compile(regex: string): RE2JS {
  re2 ??= require('re2js') as typeof Re2;
  return re2.RE2JS.compile(regex);
}

/** One custom pattern: matches become `[REDACTED:<name>]`. */
export interface CustomPattern {
  name: string;
  regex: string;
}

/** Why `regex` cannot be a custom pattern (not RE2 syntax, or it matches empty text), or null when it can. */
export function customPatternProblem(regex: string): string | null {
  let compiled: RE2JS;
  try {
    compiled = compile(regex);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return `is not RE2 syntax (look-around and backreferences are not supported): ${reason}`;
  }
  if (compiled.matcher('').find()) return 'must not match empty text: it would match between every two characters';
  return null;
}

/** The custom patterns compiled into one RE2 program: one pass over a text finds them all. */
export class CustomPatterns {
  private readonly program: RE2JS | null;
  /** For each pattern, the group that wraps it in the combined program. */
  private readonly groups: { name: string; group: number }[] = [];

  /** @throws Error when a pattern is not RE2 syntax (the config schema checks first). */
  constructor(patterns: readonly CustomPattern[]) {
    let group = 1;
    const sources: string[] = [];
    for (const pattern of patterns) {
      this.groups.push({ name: pattern.name, group });
      sources.push(`(${pattern.regex})`);
      group += 1 + compile(pattern.regex).groupCount();
    }
    this.program = sources.length === 0 ? null : compile(sources.join('|'));
  }

  /** Whether any pattern is configured. */
  get active(): boolean {
    return this.program !== null;
  }

  /** `text` with every match replaced by `replace(name, match)`; unchanged text is returned as is. */
  scrub(text: string, replace: (name: string, match: string) => string): string {
    if (this.program === null) return text;
    const matcher = this.program.matcher(text);
    let out = '';
    let last = 0;
    while (matcher.find()) {
      const start = matcher.start();
      const end = matcher.end();
      const name = this.groups.find((g) => matcher.start(g.group) >= 0)?.name ?? this.groups[0]!.name;
      out += text.slice(last, start) + replace(name, text.slice(start, end));
      last = end;
    }
    return last === 0 ? text : out + text.slice(last);
  }
}
