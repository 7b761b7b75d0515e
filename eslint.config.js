import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'data/', 'dist/', '.svelte-kit/', '.wrangler/', 'portal/.svelte-kit/', 'db/migrations/'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Prettier wraps code at 120 but never splits strings, template literals or comments: this catches those.
      // Deprecated in core since 8.53 (no CLI warning); available until ESLint 11, then @stylistic/max-len.
      'max-len': ['error', { code: 120, tabWidth: 2 }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'Use a union of string literals (Node strips types; enums are not erasable).',
        },
      ],
    },
  },
  {
    // Edge code runs on Workers: Node built-ins only in its Node entry.
    files: ['edge/**/*.ts'],
    ignores: ['edge/node.ts', 'edge/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'Edge code runs on Workers; use Web APIs.' }] },
      ],
    },
  },
);
