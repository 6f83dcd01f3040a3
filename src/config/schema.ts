/**
 * The `paracle_config` schema (INTERFACE.md §6): every key, its default and its rule live here
 * and nowhere else. Objects are strict because a misspelt key silently ignored is a setting the
 * user believes is on.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { tryParseHostPort } from '../lib/index.js';
import { customPatternProblem, KIND_NAME } from '../privacy/index.js';
import { describeValue } from './issues.js';

const MAX_PORT = 65535;

const got = (issue: { input?: unknown }): string => `got ${describeValue(issue.input)}`;

function positiveInt(what = 'a positive integer') {
  return z.int({ error: (issue) => `must be ${what}, ${got(issue)}` }).positive();
}

function nonNegativeInt() {
  return z.int({ error: (issue) => `must be a non-negative integer, ${got(issue)}` }).min(0);
}

function positiveNumber() {
  return z.number({ error: (issue) => `must be a positive number, ${got(issue)}` }).positive();
}

function nonEmptyString() {
  return z.string().min(1);
}

function cronExpression() {
  return z.string().refine((expr) => cron.validate(expr), {
    error: (issue) => `must be a cron expression, ${got(issue)}`,
  });
}

function listenAddress() {
  return z.string().refine((address) => tryParseHostPort(address) !== null, {
    error: (issue) => `must be HOST:PORT with a port from 0 to ${MAX_PORT} (IPv6 as [::1]:4318), ${got(issue)}`,
  });
}

function envName() {
  return z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: (issue) => `must be an environment variable name, ${got(issue)}`,
  });
}

/** A custom redaction pattern: a kind name and an RE2 expression (linear time, no look-around). */
const customPatternSchema = z.strictObject({
  name: z.string().regex(KIND_NAME, {
    error: (issue) => `must be a kind name (lowercase letters, digits and _, starting with a letter), ${got(issue)}`,
  }),
  regex: z.string().superRefine((source, ctx) => {
    const problem = source === '' ? 'must not be empty: an empty pattern matches everywhere' : customPatternProblem(source);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: source });
  }),
});

/** Two patterns with one name would count as one kind; a typo'd copy is more likely. */
function rejectDuplicateNames(patterns: readonly { name: string }[], ctx: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  patterns.forEach((pattern, index) => {
    if (seen.has(pattern.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: 'duplicates the name of an earlier pattern', input: pattern.name });
    seen.add(pattern.name);
  });
}

/**
 * A mapping of settings. An empty YAML section (`runs:` with every child commented out) parses
 * as null; it means "all defaults", like a missing section.
 */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((value) => value ?? {}, z.strictObject(shape));
}

/** Access roles: viewer < analyst < operator < admin; `ingest` only uploads artifacts. */
export const ACCESS_ROLES = ['viewer', 'analyst', 'operator', 'admin', 'ingest'] as const;

/** Run-keeping modes: how many runs per agent/workflow stay in the live store. */
export const RUN_MODES = ['lite', 'standard', 'full'] as const;

const tokenSchema = z.strictObject({
  name: nonEmptyString(),
  // The value is never echoed: a user may have pasted the secret itself here.
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "must be the token's SHA-256 as 64 lowercase hex characters" }),
  role: z.enum(ACCESS_ROLES),
  agents: z.array(nonEmptyString()).min(1, { error: 'must list at least one agent id, or "*" for all' }).default(['*']),
});

/** Two tokens with one hash would make the role ambiguous; two with one name confuse logs. */
function rejectDuplicateTokens(tokens: readonly z.output<typeof tokenSchema>[], ctx: z.core.$RefinementCtx): void {
  for (const field of ['name', 'sha256'] as const) {
    const firstIndex = new Map<string, number>();
    tokens.forEach((token, index) => {
      const first = firstIndex.get(token[field]);
      if (first === undefined) firstIndex.set(token[field], index);
      else ctx.addIssue({ code: 'custom', path: [index, field], message: `duplicates the ${field} of tokens[${first}]`, input: token[field] });
    });
  }
}

const runsSchema = section({
  dir: nonEmptyString().default('.parac/runs'),
  mode: z.enum(RUN_MODES).default('standard'),
  retention_days: positiveInt().default(30),
  max_runs_per_agent: positiveInt('a positive integer or null').nullable().default(null),
  archive: z.boolean().default(true),
  archive_retention_days: positiveInt().default(365),
  artifacts: section({ compress_over_bytes: positiveInt().default(10_485_760) }),
  traces: section({
    sample_after_runs: positiveInt().default(1000),
    sample_rate: z.number({ error: (issue) => `must be a number from 0 to 1, ${got(issue)}` }).min(0).max(1).default(0.1),
  }),
  schedules: section({
    retention: cronExpression().default('0 * * * *'),
    sampling: cronExpression().default('10 * * * *'),
    compression: cronExpression().default('*/15 * * * *'),
    archival: cronExpression().default('30 3 * * *'),
  }),
});

const replayAgentSchema = z.strictObject({
  command: z.array(nonEmptyString()).min(1, { error: 'must be a non-empty list: the program, then its arguments' }),
  timeout_s: positiveNumber().default(600),
});

/** The whole `paracle_config` block; parse the block's value (not the file) with it. */
export const paracleConfigSchema = section({
  runs: runsSchema,
  daemon: section({
    otlp_http: listenAddress().default('127.0.0.1:4318'),
    otlp_grpc: listenAddress().default('127.0.0.1:4317'),
    http: listenAddress().default('127.0.0.1:9464'),
  }),
  ingest: section({
    max_body_bytes: positiveInt().default(16_777_216),
    max_spans_in_memory: positiveInt().default(500_000),
    max_bytes_in_memory: positiveInt().default(268_435_456),
    unrecognized: z.enum(['agent', 'drop']).default('agent'),
    untraced_logs: z.enum(['drop', 'file']).default('drop'),
    wal: section({
      // `adaptive`: sync at once when none runs, batch while one does; `always`: one sync per
      // request; a number: one sync per window of that many ms.
      sync: z
        .union([z.literal('adaptive'), z.literal('always'), positiveInt('"adaptive", "always" or a positive number of milliseconds')])
        .default('adaptive'),
      segment_bytes: positiveInt().default(67_108_864),
    }),
  }),
  assembly: section({
    grace_ms: positiveInt().default(2000),
    orphan_timeout_ms: positiveInt().default(300_000),
    // A run's directory appears (as running) only once its trace has been open this long.
    running_after_ms: nonNegativeInt().default(1000),
  }),
  metrics: section({ max_ids: positiveInt().default(1000) }),
  privacy: section({
    scrub_pii: z.boolean().default(true),
    scrub_secrets: z.boolean().default(true),
    replacement: z.enum(['label', 'hmac']).default('label'),
    hmac_key_env: envName().default('PARACLE_HMAC_KEY'),
    custom_patterns: z.array(customPatternSchema).default([]).superRefine(rejectDuplicateNames),
    allow_keys: z.array(nonEmptyString()).default([]),
    encryption: section({
      enabled: z.boolean().default(false),
      key_env: envName().default('PARACLE_ENCRYPTION_KEY'),
    }),
  }),
  access: section({
    allow_unauthenticated: z.boolean().default(false),
    tokens: z.array(tokenSchema).default([]).superRefine(rejectDuplicateTokens),
  }),
  replay: section({
    agents: z.preprocess((value) => value ?? {}, z.record(nonEmptyString(), replayAgentSchema)),
  }),
  pricing: section({
    overrides: nonEmptyString().default('config/pricing.yaml'),
    data_file: nonEmptyString().nullable().default(null),
  }),
});

/** Recursively readonly: a loaded config is shared by every component and never mutated. */
type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A validated `paracle_config` block with every default filled in; deeply frozen at runtime. */
export type ParacleConfig = DeepReadonly<z.output<typeof paracleConfigSchema>>;

/** One access role, as configured on a token. */
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** One run-keeping mode. */
export type RunMode = (typeof RUN_MODES)[number];
