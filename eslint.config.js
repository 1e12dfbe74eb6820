// ESLint (flat config): typescript-eslint's recommended rules for every package; Prettier owns formatting.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/build/**', 'e2e/test-results/**', 'e2e/output/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Unused names are errors, except those that say they are unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests and wire parsing read untyped JSON; `any` stays a warning-free escape hatch there.
      '@typescript-eslint/no-explicit-any': 'off',
      // Control characters in patterns are deliberate (printable-ASCII checks of protocol fields).
      'no-control-regex': 'off',
    },
  },
  {
    // The broker's store is async (SQLite and PostgreSQL behind one interface): a promise left unawaited
    // would be a write outside its transaction, or a check that always passes.
    files: ['broker/src/**/*.ts', 'broker/test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe and test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
