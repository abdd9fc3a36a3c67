// ESLint: typescript-eslint's recommended type-checked rules over the extension and its tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', '.vscode-test/', 'test-results/', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The extension never reaches into its tests or tooling.
    files: ['src/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**', '**/scripts/**'], message: 'src must not depend on tests or scripts.' }] }],
    },
  },
  {
    // The core is pure: it runs and is tested in plain Node, so only src/ui and extension.ts touch VS Code.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core is pure: only src/extension.ts and src/ui may import vscode.' }],
          patterns: [{ group: ['**/ui/**', '**/extension', '**/test/**', '**/scripts/**'], message: 'src/core depends on nothing outside src/core.' }],
        },
      ],
    },
  },
  {
    // Every request to the portal passes the request gate (RequestGate: the portal's wait, 15 s
    // between a window's requests): the UI asks only through CountersPoller, and only the
    // poller calls the client's requests, each after the gate.
    files: ['src/ui/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/countersClient', '**/core/transport', '**/core/pollScheduler', '**/core/requestGate', '**/core/sharedPoll'],
              importNames: ['CountersClient', 'nodeFetchTransport', 'PollScheduler', 'RequestGate', 'SharedPoll'],
              allowTypeImports: true,
              message: 'The UI asks the portal only through CountersPoller (refresh, askSoon, showTaskLists, setFilters, listGroups), whose requests pass the request gate.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**'],
    ignores: ['src/core/countersPoller.ts', 'src/core/countersClient.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(getCountersByRole|userGroups)$/]',
          message: 'Only CountersPoller asks the portal, each request after its request gate (RequestGate).',
        },
      ],
    },
  },
  {
    // The scripts and the host and end-to-end suites use the sandbox portal as a whole, through
    // its one public entry; only its own unit tests look inside.
    files: ['scripts/**', 'test/e2e/**', 'test/host/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/sandbox/*', '!**/sandbox/index'], message: 'Import the sandbox from test/sandbox (its index.ts), not its modules.' }] },
      ],
    },
  },
  {
    // Tests and scripts read JSON from the wire and the workbench on purpose: `any` there is
    // the data under test, not a hole in the extension's types.
    files: ['test/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
