/**
 * The `paracle_config` schema (INTERFACE.md §6): every key, its default and its rule live here
 * and nowhere else. Objects are strict because a misspelt key silently ignored is a setting the
 * user believes is on.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { ROLES } from '../access/index.js';
import { tryParseHostPort } from '../lib/index.js';
import { customPatternProblem, KIND_NAME } from '../privacy/index.js';
import { describeValue } from './issues.js';

const MAX_PORT = 65535;
/** The deepest `ingest.limits.attribute_value_depth_limit`: values nested deeper cannot be written as JSON safely. */
const MAX_VALUE_DEPTH = 256;

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
  name: z
    .string()
    .regex(KIND_NAME, {
      error: (issue) => `must be a kind name (lowercase letters, digits and _, starting with a letter), ${got(issue)}`,
    })
    .describe('the kind its matches are counted and labelled as'),
  regex: z.string().superRefine((source, ctx) => {
    const problem = source === '' ? 'must not be empty: an empty pattern matches everywhere' : customPatternProblem(source);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: source });
  }).describe('an RE2 regular expression'),
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
 * as null; it means "all defaults", like a missing section. (`configJsonSchema` knows this
 * shape, a pipe into a prefault, and lets editors accept the null.)
 */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  // `{}` is valid input once every key has a default, which TypeScript cannot see for a generic shape.
  return z.preprocess((value) => value ?? undefined, z.strictObject(shape).prefault({} as never));
}

/** Access roles: viewer < analyst < operator < admin; `ingest` sends OTLP and uploads artifacts. */
export const ACCESS_ROLES = ROLES;

/** Run-keeping modes: how many runs per agent/workflow stay in the live store. */
export const RUN_MODES = ['lite', 'standard', 'full'] as const;

function globList(what: string) {
  return z.array(nonEmptyString()).min(1, { error: `must list at least one ${what} glob ("*" for all); leave the key out instead` }).optional();
}

function hostName() {
  return z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/, { error: (issue) => `must be a host name without scheme or port, ${got(issue)}` });
}

const tokenSchema = z
  .strictObject({
    name: nonEmptyString().describe('a name for the token: the actor of its audit lines and log lines'),
    // The value is never echoed: a user may have pasted the secret itself here.
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: "must be the token's SHA-256 as 64 lowercase hex characters" })
      .describe("the token's SHA-256, 64 lowercase hex characters (never the token itself; `paracle token new` prints it)"),
    role: z.enum(ACCESS_ROLES).describe('viewer < analyst < operator < admin (admin holds every role); ingest (OTLP and uploads) is apart'),
    agents: globList('agent id').describe('agent_id globs (`*` any characters, `?` one) of the agent runs the token sees; with neither list, every run'),
    workflows: globList('workflow id').describe('workflow_id globs of the workflow runs the token sees; with neither list, every run'),
  })
  .superRefine((token, ctx) => {
    // OTLP and uploads carry no run to judge, so a scope on them would promise what it cannot keep.
    if (token.role !== 'ingest') return;
    for (const key of ['agents', 'workflows'] as const) {
      if (token[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'an ingest token cannot be scoped: OTLP and uploads are not restricted by agent or workflow', input: token[key] });
      }
    }
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

/** Where runs are kept: the runs dir alone, or object storage and PostgreSQL shared by replicas. */
export const RUN_BACKENDS = ['local', 'shared'] as const;

const runsSchema = section({
  dir: nonEmptyString().default('.parac/runs').describe('where run directories are written (--runs-dir overrides); with backend shared: the replica\'s write-ahead log, runs being written and caches'),
  backend: z
    .enum(RUN_BACKENDS)
    .default('local')
    .describe('local: runs and their index in dir; shared: run files in S3-compatible object storage (runs.s3) and the index in PostgreSQL (runs.postgres), shared by every replica (docs/scale-out.md)'),
  s3: section({
    endpoint: z.string().regex(/^https?:\/\/[^\s/?#]+(\/\S*)?$/, { error: (issue) => `must be an http(s) URL, ${got(issue)}` }).nullable().default(null).describe('an S3-compatible endpoint URL (MinIO, Ceph RGW, R2...); null: AWS S3. Credentials come from the standard AWS environment variables or profile'),
    bucket: nonEmptyString().nullable().default(null).describe('the bucket runs are stored in (required with backend shared)'),
    prefix: z.string().default('').describe('prepended to every object key, e.g. paracle/; several stores can share a bucket'),
    region: nonEmptyString().nullable().default(null).describe('null: AWS_REGION or the profile\'s, else us-east-1 when an endpoint is set'),
    force_path_style: z.boolean().default(false).describe('address buckets as endpoint/bucket/key rather than bucket.endpoint (most self-hosted servers need true)'),
  }).describe('object storage of backend shared'),
  postgres: section({
    url: nonEmptyString().nullable().default(null).describe('postgresql://user@host:5432/db URL of the shared index (required with backend shared); a password may come from PGPASSWORD instead of the URL'),
  }).describe('PostgreSQL of backend shared'),
  mode: z.enum(RUN_MODES).default('standard').describe('runs kept per agent/workflow: lite 10, standard 50, full all'),
  retention_days: positiveInt().default(30).describe('runs that started longer ago leave the live store'),
  max_runs_per_agent: positiveInt('a positive integer or null').nullable().default(null).describe('overrides the mode\'s count of runs kept per agent/workflow; null keeps the mode\'s'),
  archive: z.boolean().default(true).describe('leaving runs become <dir>/.archive/{agents|workflows}/YYYY/MM/{run_id}.tar.gz (true) or are deleted (false)'),
  archive_retention_days: positiveInt().default(365).describe('archives are deleted this many days after they were made'),
  artifacts: section({
    compress_over_bytes: positiveInt().default(10_485_760).describe('artifacts larger than this are stored gzipped by the compression job'),
  }).describe('artifact files of runs'),
  traces: section({
    sample_after_runs: positiveInt().default(1000).describe('per agent/workflow, every trace is kept whole up to this many runs'),
    sample_rate: z
      .number({ error: (issue) => `must be a number from 0 to 1, ${got(issue)}` })
      .min(0)
      .max(1)
      .default(0.1)
      .describe('then this share (0..1) of traces is kept whole; failed and pinned runs always are'),
  }).describe('trace sampling: past a number of runs, most traces keep only their root and error spans'),
  schedules: section({
    retention: cronExpression().default('0 * * * *').describe('applies retention_days, mode and max_runs_per_agent (pinned runs stay)'),
    sampling: cronExpression().default('10 * * * *').describe('thins traces past sample_after_runs'),
    compression: cronExpression().default('*/15 * * * *').describe('compresses artifacts over compress_over_bytes'),
    archival: cronExpression().default('30 3 * * *').describe('finishes interrupted moves, deletes archives past archive_retention_days'),
  }).describe('when each maintenance job runs: cron expressions (node-cron: 5 fields, or 6 with seconds first)'),
}).superRefine((runs, ctx) => {
  if (runs.backend !== 'shared') return;
  if (runs.s3.bucket === null) ctx.addIssue({ code: 'custom', path: ['s3', 'bucket'], message: 'is required with runs.backend: shared', input: null });
  if (runs.postgres.url === null) ctx.addIssue({ code: 'custom', path: ['postgres', 'url'], message: 'is required with runs.backend: shared', input: null });
}).describe('the run store and how long runs stay in it; changes apply without a restart (except dir, backend, s3 and postgres)');

/**
 * How to replay the runs of one agent or workflow: an argv (never a shell string; nothing
 * from a run is ever put into it) and how long it may run before its process group is killed.
 */
const replayCommandSchema = z.strictObject({
  command: z
    .array(nonEmptyString())
    .min(1, { error: 'must be a non-empty list: the program, then its arguments' })
    .describe('the program, then its arguments (never a shell string; nothing from a run is put into it)'),
  timeout_s: positiveNumber().default(600).describe('seconds before a replay fails and its whole process group is killed'),
}).describe('how to re-run one agent or workflow (docs/replay.md)');

function replayCommands() {
  return z.preprocess((value) => value ?? undefined, z.record(nonEmptyString(), replayCommandSchema).prefault({}));
}

/** The whole `paracle_config` block; parse the block's value (not the file) with it. */
export const paracleConfigSchema = section({
  runs: runsSchema,
  daemon: section({
    otlp_http: listenAddress().default('127.0.0.1:4318').describe('OTLP/HTTP listener, HOST:PORT (port 0: any free port; IPv6 as [::1]:4318); --otlp-http overrides'),
    otlp_grpc: listenAddress().default('127.0.0.1:4317').describe('OTLP/gRPC listener, HOST:PORT; --otlp-grpc overrides'),
    http: listenAddress().default('127.0.0.1:9464').describe('metrics, health and API listener, HOST:PORT; --http overrides'),
    max_connections: positiveInt('a positive integer or null')
      .nullable()
      .default(null)
      .describe('open connections over all listeners; past it the slowest is closed or the new one gets 503; null, or past what the open-file limit allows: that limit less 128 descriptors kept for the store and those open at start (at most 3/4 of it)'),
    header_timeout_ms: positiveInt().default(10_000).describe("a request's headers must arrive within this long, else the connection is closed"),
    request_timeout_ms: positiveInt().default(60_000).describe('a whole request (headers and body) must arrive within this long, else 408'),
    idle_timeout_ms: positiveInt().default(65_000).describe('an idle keep-alive connection is closed after this long'),
    tls: z
      .strictObject({
        cert_file: nonEmptyString().describe('PEM certificate chain served on every listener'),
        key_file: nonEmptyString().describe('its PEM private key'),
        client_ca_file: nonEmptyString().nullable().default(null).describe('PEM CA bundle: clients must present a certificate it signed (mutual TLS)'),
      })
      .nullable()
      .default(null)
      .describe('serve every listener over TLS; the files are re-read when they change (docs/access.md)'),
    allowed_hosts: z
      .array(hostName())
      .default([])
      .describe('Host header names answered besides IP addresses and localhost (others get 403: DNS-rebinding defence)'),
  }).describe('the listeners'),
  ingest: section({
    max_body_bytes: positiveInt().default(16_777_216).describe('larger request bodies or gRPC messages (after decompression) get 413 / RESOURCE_EXHAUSTED'),
    max_spans_in_memory: positiveInt().default(500_000).describe('past this many buffered spans and log records, senders are told to retry later (503 / UNAVAILABLE)'),
    max_bytes_in_memory: positiveInt()
      .default(268_435_456)
      .describe('likewise past this many bytes of decoded telemetry held; a request decoding to more alone gets 413'),
    max_staged_upload_bytes: positiveInt().default(1_073_741_824).describe('artifact uploads waiting for their run, all together; past it uploads get 413'),
    limits: section({
      attribute_count_limit: positiveInt().default(4096).describe('attributes per span, event, link, log record, resource and scope; later ones are dropped'),
      attribute_value_length_limit: positiveInt('a positive integer or null')
        .nullable()
        .default(null)
        .describe('characters of a string value (bytes of a bytes value); longer ones end with …[truncated]; null: no limit'),
      // Capped so that every writer (JSON.stringify included) can follow what is kept.
      attribute_value_depth_limit: positiveInt()
        .max(MAX_VALUE_DEPTH, { error: `must be at most ${MAX_VALUE_DEPTH}` })
        .default(64)
        .describe(`nesting of arrays/key-value lists (at most ${MAX_VALUE_DEPTH}); deeper ones become empty, deeper JSON text stays text`),
      event_count_limit: positiveInt().default(4096).describe('events per span; later ones are dropped'),
      link_count_limit: positiveInt().default(1024).describe('links per span; later ones are dropped'),
      spans_per_trace_limit: positiveInt().default(100_000).describe('spans per trace; later ones are refused in partial_success'),
    }).describe("OTel SDK limits, applied before the answer; each cut is counted in paracle_truncations_total and the run's `truncated`"),
    unrecognized: z.enum(['agent', 'drop']).default('agent').describe('traces without GenAI or paracle spans: stored as agent runs (agent) or dropped (drop)'),
    untraced_logs: z.enum(['drop', 'file']).default('drop').describe('log records without a trace id: counted and dropped (drop) or appended to <runs dir>/untraced/YYYY-MM-DD.log (file)'),
    wal: section({
      // `adaptive`: sync at once when none runs, batch while one does; `always`: one sync per
      // request; a number: one sync per window of that many ms.
      sync: z
        .union([z.literal('adaptive'), z.literal('always'), positiveInt('"adaptive", "always" or a positive number of milliseconds')])
        .default('adaptive')
        .describe('adaptive: sync at once when no sync runs and batch the appends that come meanwhile; always: one sync per request; N: one sync per window of N ms'),
      segment_bytes: positiveInt().default(67_108_864).describe('a WAL segment is sealed at this size (or after 5 minutes)'),
    }).describe('the write-ahead log under <runs dir>/.wal: a 2xx answer means the data is on disk'),
  }).describe('OTLP intake: limits and what happens to telemetry that makes no run'),
  assembly: section({
    grace_ms: positiveInt().default(2000).describe('how long to wait after a root span ends for late spans'),
    orphan_timeout_ms: positiveInt().default(300_000).describe('a trace whose root never arrives is written after this long'),
    running_after_ms: nonNegativeInt()
      .default(1000)
      .describe('a run directory appears (as running) only once its trace has been open this long; 0: at its first span'),
  }).describe('when a trace is complete enough to become a final run'),
  metrics: section({
    max_ids: positiveInt().default(1000).describe('distinct ids per metric label; later ones are reported as "other"'),
  }).describe('Prometheus metrics on the --http listener'),
  privacy: section({
    scrub_pii: z.boolean().default(true).describe('scrub emails, phone numbers, card numbers (Luhn), IBANs, US SSNs, IPv4/IPv6 before anything reaches disk (docs/privacy.md)'),
    scrub_secrets: z.boolean().default(true).describe('scrub API keys, tokens, JWTs, private keys, Bearer/Basic credentials, URL passwords, values of keys like password or token'),
    replacement: z.enum(['label', 'hmac']).default('label').describe('label: [REDACTED:<kind>]; hmac: [<kind>:<12 hex of HMAC-SHA256>], stable across runs'),
    hmac_key_env: envName().default('PARACLE_HMAC_KEY').describe('the environment variable holding the HMAC key (serve refuses to start with hmac and it unset)'),
    custom_patterns: z
      .array(customPatternSchema)
      .default([])
      .superRefine(rejectDuplicateNames)
      .describe('more patterns to scrub (RE2 syntax); matches become [REDACTED:<name>]'),
    allow_keys: z.array(nonEmptyString()).default([]).describe('attribute keys never scrubbed, e.g. [ticket.id]'),
    encryption: section({
      enabled: z.boolean().default(false).describe('encrypt every file of run content at rest: AES-256-GCM, a data key per run wrapped by the master key (docs/encryption.md)'),
      key_env: envName().default('PARACLE_ENCRYPTION_KEY').describe('the environment variable holding the master key: 32 bytes, hex or base64; never passed to replay commands'),
      key_file: nonEmptyString().nullable().default(null).describe('a file holding the master key instead (wins over key_env)'),
    }).describe('encryption at rest: serve refuses to start without the key, or with a store that does not match'),
  }).describe('scrubbing of PII and secrets before anything reaches disk, the write-ahead log included'),
  access: section({
    allow_unauthenticated: z.boolean().default(false).describe('with no token configured, allow listeners off loopback (an open API, and OTLP without a token); ignored once a token exists'),
    tokens: z
      .array(tokenSchema)
      .default([])
      .superRefine(rejectDuplicateTokens)
      .describe('access tokens, each as its SHA-256, checked on every route with a role and on OTLP when ingest tokens are required (docs/access.md)'),
    ingest_tokens_required: z
      .boolean()
      .nullable()
      .default(null)
      .describe('OTLP needs a token with role ingest (or admin); null: true when an OTLP listener is off loopback, unless allow_unauthenticated'),
    metrics_public: z.boolean().default(false).describe('serve /metrics without a token (it needs viewer otherwise)'),
    audit_retention_days: positiveInt('a positive integer or null')
      .nullable()
      .default(null)
      .describe('delete audit trail months older than this many days; null: keep them all (run retention never removes audit lines)'),
  }).describe('tokens, roles and the audit trail'),
  replay: section({
    agents: replayCommands().describe('agent id -> how to re-run its runs (paracle runs replay, POST /api/v1/runs/{id}/replay)'),
    workflows: replayCommands().describe('workflow id -> how to re-run its runs, steps included'),
  }).describe('re-running runs on their recorded input (docs/replay.md); changes apply without a restart'),
  pricing: section({
    overrides: nonEmptyString().default('config/pricing.yaml').describe('local price overrides, applied over the built-in price book'),
    data_file: nonEmptyString().nullable().default(null).describe('a newer @pydantic/genai-prices data file to use instead of the bundled one'),
  }).describe('the price book estimating costs that spans do not report'),
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
