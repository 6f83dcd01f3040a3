// @ts-check
/**
 * Module boundaries, checked by `npm run lint` (dependency-cruiser). An allow-list: every
 * folder of src/ is a module with a row in MODULES naming the modules it may import; any
 * other import between modules is an error, and so is a file in a folder with no row.
 * docs/architecture.md draws these rows and says why; change both together.
 *
 * Imports of a module go through its index.ts. Type-only imports count: a type is a
 * dependency too. Tests, the benchmark and scripts are not checked (they may import
 * internals).
 */

// Every component may take these: plain types, its stage contracts, the injected logger and
// metrics, domain-free helpers.
const BASE = ['lib', 'model', 'contracts', 'telemetry'];
// Receivers and processors: the pipeline's inside. Never each other, never the store.
const STAGE = [...BASE, 'codec/otlp', 'privacy', 'access'];
// Readers of the store: the API, the CLI, maintenance, replay.
const READER = [...BASE, 'store', 'crypt'];

/** @type {Record<string, readonly string[]>} module -> the modules it may import */
export const MODULES = {
  // Foundations: libraries with no state of the daemon.
  lib: [],
  model: ['lib'],
  contracts: ['lib', 'model'],
  telemetry: ['lib', 'model'],
  'codec/otlp': ['lib', 'model'],
  pricing: ['lib', 'model'],
  semconv: ['lib', 'model'],
  privacy: ['lib', 'model'],
  // Envelope encryption (AES-256-GCM) and the key store: nothing of the daemon.
  crypt: ['lib'],
  access: [...BASE, 'audit'],
  audit: BASE,
  config: [...BASE, 'access', 'privacy'],
  wal: [...BASE, 'crypt'],
  // The store knows nothing of the pipeline, HTTP, cron or config.
  store: ['lib', 'model', 'codec/otlp', 'semconv', 'privacy', 'crypt'],
  // The pipeline: receivers -> processors -> exporters, each handed its next stage.
  'receiver/otlp': STAGE,
  'processor/redact': STAGE,
  'processor/assembler': STAGE,
  'processor/durable': [...STAGE, 'wal'],
  'exporter/runstore': [...BASE, 'codec/otlp', 'privacy', 'store', 'semconv', 'pricing', 'crypt'],
  // Around the pipeline: they read and change the store, never a stage.
  maintenance: READER,
  replay: READER,
  api: [...READER, 'access', 'audit', 'replay'],
  ui: [...BASE, 'api'],
  // The browser's code talks to /api/v1 only.
  'ui/web': ['model'],
  // The client SDK (`paracle/sdk`) runs inside agents: OpenTelemetry only, nothing of the daemon.
  sdk: [],
  // The composition root wires everything; the CLI parses argv and starts commands.
  service: [
    ...READER,
    'codec/otlp', 'pricing', 'semconv', 'privacy', 'access', 'audit', 'config', 'wal', 'crypt',
    'receiver/otlp', 'processor/redact', 'processor/assembler', 'processor/durable', 'exporter/runstore',
    'maintenance', 'replay', 'api', 'ui',
  ],
  cli: [
    ...READER,
    'codec/otlp', 'pricing', 'semconv', 'privacy', 'access', 'audit', 'config',
    'maintenance', 'replay', 'api', 'service',
    // `keys check` opens the log's segments with their keys (read only).
    'wal',
  ],
};

const escape = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (/** @type {readonly string[]} */ names) => `(${names.map(escape).join('|') || '(?!)'})`;
/** The files of module `name`: its folder, less the folders of modules nested in it (ui/web in ui). */
const filesOf = (/** @type {string} */ name) => {
  const nested = Object.keys(MODULES)
    .filter((other) => other.startsWith(`${name}/`))
    .map((other) => other.slice(name.length + 1));
  return `^src/${escape(name)}/${nested.length ? `(?!${anyOf(nested)}/)` : ''}`;
};
const LISTED = `^src/${anyOf(Object.keys(MODULES))}/`;

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const moduleRules = Object.entries(MODULES).flatMap(([name, allowed]) => [
  {
    name: `${name}-imports`,
    comment: `src/${name} may import only ${allowed.join(', ') || 'no other module'} (its row in MODULES of .dependency-cruiser.js; docs/architecture.md says why)`,
    severity: 'error',
    from: { path: filesOf(name) },
    to: { path: '^src/', pathNot: [filesOf(name), `^src/${anyOf(allowed)}/`] },
  },
  {
    name: `${name}-through-index`,
    comment: `src/${name} imports another module through its index.ts only`,
    severity: 'error',
    from: { path: filesOf(name) },
    to: { path: `^src/${anyOf(allowed)}/`, pathNot: `^src/${anyOf(allowed)}/index\\.ts$` },
  },
]);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...moduleRules,
    {
      name: 'unlisted-folder',
      comment: 'every folder of src/ is a module with its row in MODULES of .dependency-cruiser.js: add one',
      severity: 'error',
      from: { path: '^src/', pathNot: LISTED },
      to: {},
    },
    {
      name: 'unlisted-folder-orphan',
      comment: 'every folder of src/ is a module with its row in MODULES of .dependency-cruiser.js: add one',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: LISTED },
      to: {},
    },
    {
      name: 'import-of-unlisted-folder',
      comment: 'this imports a folder of src/ that has no row in MODULES of .dependency-cruiser.js: add one',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: LISTED },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
  },
};
