// ESLint: typescript-eslint's recommended type-checked rules over the extension and its tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * A cast that makes a `type` out of any string: refused outside `module`, the one place that
 * makes that type (ESLint's no-restricted-syntax; the type checker alone accepts a cast).
 */
function castsTo(type, module, how) {
  const message = `${type} is made only by ${module}: ${how}`;
  return ['TSAsExpression', 'TSTypeAssertion'].map((node) => ({ selector: `${node} > TSTypeReference[typeName.name='${type}']`, message }));
}

const PORTAL_TEXT_CASTS = castsTo(
  'PortalText',
  'src/core/portalText.ts',
  'clean portal text with portalText(text, webhook.redact), or write words around it with sentence`…`.',
);
const PORTAL_LINK_CASTS = castsTo('PortalLink', 'src/core/taskListLink.ts', 'build addresses with taskListLink or taskLink.');
/** Addresses leave for the browser or the clipboard only through src/ui/portalLinks.ts, as a PortalLink. */
const OPEN_OR_COPY = [
  {
    selector: "MemberExpression[property.name=/^(openExternal|clipboard)$/]",
    message: 'Open or copy an address with openPortalLink or copyPortalLink (src/ui/portalLinks.ts): they take a PortalLink.',
  },
];

/**
 * Only CountersPoller asks the portal, each request after its request gate (RequestGate: the
 * portal's wait, 15 s between a window's requests); the client's requests are its own.
 */
const ASK_THE_PORTAL = [
  {
    selector: 'CallExpression[callee.property.name=/^(getCountersByRole|userGroups)$/]',
    message: 'Only CountersPoller asks the portal, each request after its request gate (RequestGate).',
  },
];

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
    // Portal text and portal links are types that one function each makes; a cast would forge them.
    files: ['**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...PORTAL_TEXT_CASTS, ...PORTAL_LINK_CASTS] },
  },
  // ESLint keeps one no-restricted-syntax per file (the last matching block's): each block below
  // names every rule its files keep.
  { files: ['src/**'], rules: { 'no-restricted-syntax': ['error', ...PORTAL_TEXT_CASTS, ...PORTAL_LINK_CASTS, ...OPEN_OR_COPY, ...ASK_THE_PORTAL] } },
  { files: ['src/ui/portalLinks.ts'], rules: { 'no-restricted-syntax': ['error', ...PORTAL_TEXT_CASTS, ...PORTAL_LINK_CASTS, ...ASK_THE_PORTAL] } },
  { files: ['src/core/portalText.ts'], rules: { 'no-restricted-syntax': ['error', ...PORTAL_LINK_CASTS, ...OPEN_OR_COPY, ...ASK_THE_PORTAL] } },
  { files: ['src/core/taskListLink.ts'], rules: { 'no-restricted-syntax': ['error', ...PORTAL_TEXT_CASTS, ...OPEN_OR_COPY, ...ASK_THE_PORTAL] } },
  {
    files: ['src/core/countersPoller.ts', 'src/core/countersClient.ts'],
    rules: { 'no-restricted-syntax': ['error', ...PORTAL_TEXT_CASTS, ...PORTAL_LINK_CASTS, ...OPEN_OR_COPY] },
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
