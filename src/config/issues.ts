/**
 * Turns schema failures into `ConfigIssue`s: one line per problem, addressed by a path that a
 * user can find in their YAML (`paracle_config.access.tokens[0].role`).
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../lib/index.js';

/** The name every config path starts with: the section of the shared project file we own. */
export const CONFIG_ROOT = 'paracle_config';

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAX_SHOWN_CHARS = 60;

/**
 * Formats a path below `paracle_config`: plain keys joined by dots, list indexes as `[n]`, and
 * keys that would be ambiguous after a dot (ids with dots or spaces, "") as `["key"]`.
 */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = CONFIG_ROOT;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && PLAIN_KEY.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

/**
 * Describes a value the user wrote, for the "got ..." part of a message: strings quoted and cut
 * short, containers by kind only (printing a whole mapping would not fit one line).
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value;
    return JSON.stringify(shown);
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const EXPECTED_PHRASES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

function boundPhrase(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>): string {
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  if (issue.origin === 'string' && small && bound === 1) return 'must not be empty';
  if (issue.origin === 'array') return `must have ${small ? 'at least' : 'at most'} ${bound} item(s)`;
  const relation = small ? (issue.inclusive ? 'at least' : 'greater than') : (issue.inclusive ? 'at most' : 'less than');
  return `must be ${relation} ${bound}, got ${describeValue(issue.input)}`;
}

/**
 * The parse-wide error map: our wording for the generic failures. Messages a schema sets
 * itself (cron, host:port, regex...) take precedence over this map, as zod applies it last.
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED_PHRASES[issue.expected] ?? `a ${issue.expected}`}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
    case 'too_big':
      return boundPhrase(issue);
    case 'invalid_key':
      return `has an invalid key ${describeValue(issue.input)}: ${issue.issues[0]?.message ?? 'rejected'}`;
    default:
      return undefined;
  }
};

/**
 * Converts zod's issues to ours, in zod's order. An unknown-keys issue names several keys at
 * once; each becomes its own issue at the key's own path, so every problem has one location.
 */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: `unknown key "${key}"` }));
    }
    const path = issue.code === 'invalid_key' ? issue.path.slice(0, -1) : issue.path;
    return [{ path: formatPath(path), message: issue.message }];
  });
}
