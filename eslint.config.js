import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'editor/dist/', 'artifacts/', '.onemessage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core imports no infrastructure: adapters implement its ports (engine/README.md). Relative
    // paths are matched by what they name, so '../../platform/x.ts' is refused from any depth; a
    // package is refused with its subpaths ('pg/lib/client', 'ioredis/built/Redis'), which reach
    // the same library. test/lint-layers.test.ts proves each rule fails on a deliberate violation.
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(platform|connectors|api|cli|editor|bench)(/|$)',
              message:
                'engine/ is the pure core: it declares a port for what it needs from platform/, connectors/ or api/, and they implement it.',
            },
            {
              regex:
                '^(bullmq|ioredis|@mikro-orm/[^/]+|pg|pg-[^/]+|knex|express|@whiskeysockets/baileys|stripe|nodemailer|pino|pino-[^/]+)(/|$)',
              message:
                'engine/ is the pure core: no database, queue, HTTP server or provider library; declare a port in engine/ports instead.',
            },
          ],
        },
      ],
    },
  },
  {
    // Connectors are adapters the API composes; an adapter that reached back into the API would tie the two together.
    files: ['connectors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+api(/|$)',
              message: 'connectors/ never import api/: what a connector needs from the API goes through a port.',
            },
          ],
        },
      ],
    },
  },
  {
    // WhatsApp sessions live in connector processes; the API says what it wants through the
    // ChannelSessions port (engine/ports), wired in platform/runtime/api.role.ts.
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+connectors/whatsapp(/|$)',
              message: 'api/ reaches WhatsApp sessions through the ChannelSessions port, never connectors/whatsapp.',
            },
          ],
        },
      ],
    },
  },
  {
    // The platform serves the API, never the reverse: what both need lives in platform/ (or is a
    // port). Only platform/runtime, the composition root that starts each role, wires api/ in.
    files: ['platform/**/*.ts'],
    ignores: ['platform/runtime/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+api(/|$)',
              message: 'platform/ never imports api/ (only platform/runtime composes the roles): move what both need into platform/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The few plain scripts the browser loads as they are (no bundler): they run in a page.
    files: ['editor/static/**/*.js'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', localStorage: 'readonly', fetch: 'readonly' },
    },
  },
  {
    // Tests read JSON bodies of many shapes; typing each one would add noise, not safety.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
