// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries of ARCHITECTURE.md: each folder lists what it must not import. Imports
 * go through a module's index.ts, so a pattern on the folder name catches every file in it.
 */
const forbid = (...modules) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: modules.map((m) => ({
        group: [`**/${m}/*`, `**/${m}/index.js`],
        message: `ARCHITECTURE.md: this module may not import ${m}/.`,
      })),
    },
  ],
});

const PIPELINE_STAGES = ['receiver', 'processor', 'exporter'];
const READERS = ['api', 'cli', 'maintenance', 'replay', 'ui'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'bench/.data/', '.bench-build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain JS scripts (bench/) run on Node.
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { console: 'readonly', performance: 'readonly', process: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Name each export.' }],
    },
  },
  { files: ['src/lib/**'], rules: forbid('model', 'pricing', 'contracts', 'telemetry', 'codec', 'store', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  { files: ['src/model/**'], rules: forbid('pricing', 'contracts', 'telemetry', 'codec', 'store', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  { files: ['src/codec/**'], rules: forbid('contracts', 'telemetry', 'store', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  { files: ['src/contracts/**'], rules: forbid('telemetry', 'codec', 'store', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  { files: ['src/receiver/**', 'src/processor/**'], rules: forbid('pricing', 'store', 'config', 'service', ...READERS) },
  { files: ['src/exporter/**'], rules: forbid('config', 'service', 'receiver', ...READERS) },
  { files: ['src/store/**'], rules: forbid('pricing', 'contracts', 'telemetry', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  { files: ['src/pricing/**'], rules: forbid('contracts', 'telemetry', 'codec', 'store', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  { files: ['src/api/**', 'src/maintenance/**', 'src/replay/**', 'src/ui/**'], rules: forbid('service', 'cli', ...PIPELINE_STAGES) },
  { files: ['src/config/**'], rules: forbid('service', ...PIPELINE_STAGES, ...READERS) },
  // Pure detectors and replacements: nothing but lib/ and model/.
  { files: ['src/privacy/**'], rules: forbid('pricing', 'contracts', 'telemetry', 'codec', 'store', 'config', 'service', ...PIPELINE_STAGES, ...READERS) },
  {
    files: ['src/**'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only src/cli exits the process.' },
        { object: 'process', property: 'argv', message: 'Only src/cli reads argv.' },
      ],
    },
  },
);
