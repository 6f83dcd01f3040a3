/**
 * Reading configuration: YAML text or an already-parsed value in, a validated, fully defaulted
 * and deeply frozen `ParacleConfig` out, or a `ConfigError` listing every problem at once (a
 * user fixing a file one error per run would give up).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, describeError } from '../lib/index.js';
import type { ConfigIssue } from '../lib/index.js';
import { CONFIG_ROOT, describeIssue, describeValue, toConfigIssues } from './issues.js';
import { paracleConfigSchema } from './schema.js';
import type { ParacleConfig } from './schema.js';

/** The pseudo-path of problems in the YAML text itself, before any key can be named. */
const YAML_PATH = '(yaml)';
/** The pseudo-path of a file that could not be read at all. */
const FILE_PATH = '(file)';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

/** Parses YAML to plain data, turning every syntax error into an issue with line:column. */
function parseYaml(text: string, file: string | null): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error): ConfigIssue => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { path: YAML_PATH, message: `line ${line}:${col}: ${firstLine(error.message)}` };
    });
    throw new ConfigError(file, issues);
  }
  try {
    return doc.toJS();
  } catch (err) {
    // Aliases are resolved here, after parsing: an unknown or runaway alias surfaces now.
    throw new ConfigError(file, [{ path: YAML_PATH, message: firstLine(describeError(err)) }]);
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the value of the `paracle_config` block (not the whole file). null or undefined
 * means "all defaults". `file` only labels the error. Throws `ConfigError` listing every
 * problem; returns a deeply frozen config with every default filled in.
 */
export function validateConfig(value: unknown, file: string | null): ParacleConfig {
  const result = paracleConfigSchema.safeParse(value, { error: describeIssue });
  if (!result.success) throw new ConfigError(file, toConfigIssues(result.error.issues));
  return deepFreeze(result.data);
}

/**
 * Parses a project file's text. The top level must be a mapping with a `paracle_config` key;
 * other top-level keys belong to other tools and are ignored. An empty `paracle_config:` means
 * all defaults; a missing one is an error. Throws `ConfigError` (YAML syntax errors at path
 * "(yaml)" with line:column); `file` only labels the error.
 */
export function parseConfigText(text: string, file: string | null): ParacleConfig {
  // An empty document (or one holding only comments) parses as null: a file without our section.
  const root = parseYaml(text, file) ?? {};
  if (!isMapping(root)) {
    const message = `the document must be a mapping with a ${CONFIG_ROOT} key, got ${describeValue(root)}`;
    throw new ConfigError(file, [{ path: YAML_PATH, message }]);
  }
  if (!Object.hasOwn(root, CONFIG_ROOT)) {
    const message = `is missing: add a top-level "${CONFIG_ROOT}:" mapping (left empty, it means all defaults)`;
    throw new ConfigError(file, [{ path: CONFIG_ROOT, message }]);
  }
  return validateConfig(root[CONFIG_ROOT], file);
}

function readFailure(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return describeError(err);
}

/**
 * Reads and validates a project file. Throws `ConfigError` whose `file` is `path`: for a file
 * that cannot be read (one issue at path "(file)"), or as `parseConfigText` does.
 */
export async function loadConfigFile(path: string): Promise<ParacleConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: FILE_PATH, message: `cannot be read: ${readFailure(err)}` }]);
  }
  return parseConfigText(text, path);
}

/** The built-in defaults, as a deeply frozen config: what runs when no file is given. */
export function defaultConfig(): ParacleConfig {
  return validateConfig(undefined, null);
}
