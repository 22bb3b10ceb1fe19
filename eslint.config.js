import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency rules of the architecture, as import patterns. A later config block's options for
// a rule replace an earlier block's for the same files, so every folder block below repeats the
// rule that runtime code never imports bench/ or test/ (restrict() adds it).

/** Relative imports of one of these folders (any depth of ../, or ./ from the top level). */
const folder = (...names) => `^(\\./|(\\.\\./)+)(${names.join('|')})(/|$)`;
const noBenchOrTest = [
  { regex: folder('bench'), message: 'runtime code never imports bench/' },
  { regex: folder('test'), message: 'runtime code never imports test/' },
];
const socketPackages = ['uWebSockets.js', 'uWebSockets.js/*', 'ws'];

const restrict = (...patterns) => ['error', { patterns: [...patterns, ...noBenchOrTest] }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/protocol/gen/**', 'coverage/**', 'bench/results/**', 'test/e2e/output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': restrict(),
    },
  },
  {
    // Pure encode, decode and validate.
    files: ['src/protocol/**'],
    rules: {
      'no-restricted-imports': restrict(
        { group: socketPackages, message: 'src/protocol knows no socket: pure encode, decode and validate' },
        { regex: folder('gateway', 'http', 'broker', 'actors'), message: 'src/protocol imports no gateway, HTTP, broker or actor code' },
      ),
    },
  },
  {
    // The broker fans out through TopicPort, which the gateway implements; publications never pass a mailbox.
    files: ['src/broker/**'],
    rules: {
      'no-restricted-imports': restrict(
        { group: socketPackages, message: 'the broker knows no uWebSockets.js type: it fans out through TopicPort' },
        { regex: folder('gateway', 'http', 'actors'), message: 'the broker imports no actor or socket code (TopicPort is its port to the gateway)' },
      ),
    },
  },
  {
    // Actors reach their socket through SocketPort (src/gateway/ports.ts), never a uWebSockets.js type.
    files: ['actors/**'],
    rules: {
      'no-restricted-imports': restrict(
        { group: socketPackages, message: 'actors reach sockets through SocketPort, not uWebSockets.js' },
      ),
    },
  },
  {
    // Pipelines publish through ChannelPublisher (streams/ports.ts) and never import the runtime core.
    files: ['streams/**'],
    rules: {
      'no-restricted-imports': restrict(
        { regex: folder('src'), message: 'streams/ imports nothing from src/: it publishes through its own ports (streams/ports.ts)' },
      ),
    },
  },
  { files: ['test/**', 'bench/**'], rules: { 'no-restricted-imports': 'off' } },
);
