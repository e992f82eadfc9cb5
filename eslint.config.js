// One flat config for the whole monorepo. Architecture rules from HOUSE-STYLE.md are enforced here:
// the tenant model does no I/O, workflows stay deterministic, routes never touch Prisma.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ioModules = [
  'node:*',
  'fs',
  'path',
  'http',
  'https',
  'net',
  'child_process',
  'crypto',
  'os',
  'dns',
  'pg',
  'dockerode',
  'nodemailer',
  'stripe',
  'pino',
  'fastify',
  '@prisma/*',
  '@photoplane/db',
  '@temporalio/*',
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/generated/**',
      '.data/**',
      '.tools/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
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
  {
    files: ['packages/tenant-model/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ioModules, message: 'The tenant model is pure: no I/O imports.' }] },
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
              group: ioModules.filter((m) => m !== '@temporalio/*'),
              message: 'Workflows are deterministic: no Node built-ins, Prisma or dockerode.',
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
    files: ['apps/portal/src/routes/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@photoplane/db', '@prisma/*', '**/repositories/*'],
              message: 'Routes call services, never Prisma.',
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
                '**/repositories/*',
                '**/services/*',
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
