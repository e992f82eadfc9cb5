// One flat config for the whole monorepo. Architecture rules from HOUSE-STYLE.md are enforced here:
// the tenant model does no I/O, workflows stay deterministic, routes never touch Prisma, and the portal reaches the
// worker through its contract only. The layer rules are allow-lists: what is not named is refused.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.data/**', '.tools/**', '**/*.js', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Async no-ops that satisfy an interface (stop(), checks) read better than Promise.resolve() wrappers.
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Plain JavaScript entry points (.mjs): the same rules, without type information.
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Process entry points: they talk to the operator on stdout/stderr.
    files: ['scripts/**/*.mjs', 'apps/*/bin/*.mjs', 'prisma/tools/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // An allow-list: the tenant model imports its own files and nothing else (no I/O, no framework).
    files: ['packages/tenant-model/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./)',
              message: 'The tenant model is pure: it imports only its own files (./…).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/provisioner/src/workflows/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // An allow-list: @temporalio/workflow, their own folder, the contracts, the pure tenant model, and
              // activity types (below). Anything else may do I/O or break determinism in the workflow sandbox.
              regex: '^(?!@temporalio/workflow$|@photoplane/tenant-model$|\\./|\\.\\./contracts/|\\.\\./activities/)',
              message:
                'Workflows import only @temporalio/workflow, ./ (their folder), ../contracts/, @photoplane/tenant-model and activity types.',
            },
            {
              group: ['../activities/*'],
              message: 'Import activity types only (import type).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // The portal reaches the worker through its contract only: names, inputs, signals and workflow types.
    files: ['apps/portal/src/**/*.ts'],
    ignores: ['apps/portal/src/**/*.routes.ts', 'apps/portal/src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@photoplane/provisioner(?!/contracts$)|(^|/)provisioner/src/',
              message: 'The portal imports only @photoplane/provisioner/contracts from the worker.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/portal/src/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@photoplane/db', '@prisma/*', '**/*.repository.ts', '**/platform/data/*'],
              message: 'Routes call services, never Prisma.',
            },
            {
              regex: '^@photoplane/provisioner(?!/contracts$)|(^|/)provisioner/src/',
              message: 'The portal imports only @photoplane/provisioner/contracts from the worker.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/portal/src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@photoplane/db',
                '@prisma/*',
                '@temporalio/*',
                'nodemailer',
                '**/*.repository.ts',
                '**/*.service.ts',
                '**/platform/*',
                '**/identity/*',
                '**/billing/*',
                '**/members/*',
                '**/instance-sign-in/*',
                '**/support/*',
                '**/edge/*',
                '**/exports/*',
              ],
              message: 'The photoplane CLI is a client of the support API: no database, Temporal or portal services.',
              allowTypeImports: false,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'tests/**/*.ts', 'bench/**/*.ts', 'infra/**/*.ts', 'apps/*/src/cli/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
);
