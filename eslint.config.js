// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Module boundaries are dependency-cruiser's (.dependency-cruiser.js), also run by `npm run lint`.
export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'bench/.data/', '.bench-build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain JS scripts (bench/, scripts/, examples/, test fixtures) run on Node.
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { console: 'readonly', performance: 'readonly', process: 'readonly', URL: 'readonly', fetch: 'readonly', Buffer: 'readonly', setInterval: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Name each export.' }],
    },
  },
  // src/ui/web runs in the browser (dependency-cruiser keeps it to its own files and model/).
  {
    files: ['src/ui/web/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'src/ui/web runs in the browser: no Node modules.' }] }] },
  },
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
