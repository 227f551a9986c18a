import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['eslint.config.mjs', 'dist/**', 'dist-sandbox/**', 'dist-demo/**', '.ab/**', 'node_modules/**', 'coverage/**', 'artifacts/**', 'jest.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true, allowTypedFunctionExpressions: true, allowHigherOrderFunctions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through ConfigService (src/config) only.' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'src/main.ts', '**/*.spec.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    // The service never depends on the simulator or the demo: they stay out of its build and image.
    files: ['src/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/sandbox/*', '**/demo/*'], message: 'The service must not import the sandbox or the demo.' }] },
      ],
    },
  },
  {
    // The loading mechanism knows no feature: each feature owns its <feature>.config.ts and src/app.config.ts lists them.
    files: ['src/config/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: 'src/config/ holds only the loading mechanism: declare settings in the feature (docs/architecture.md).' }] },
      ],
    },
  },
  {
    // The sandbox and the demo are local tools with no ConfigService: their entry points read their
    // own variables and print their banner.
    files: ['sandbox/main.ts', 'demo/main.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    // Fastify route handlers are async by convention, with or without an await inside.
    files: ['sandbox/**'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/explicit-function-return-type': 'off',
    },
  },
);
