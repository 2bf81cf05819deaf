import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

/** A logger at info whose lines are kept, parsed, in `lines`. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines, text: () => JSON.stringify(lines) };
}

// One key per alternative of the secret-key list in engine/runs/redact.ts, in the spellings callers use.
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'apiKey',
  'api_key',
  'x-api-key',
  'token',
  'accessToken',
  'refresh_token',
  'secret',
  'clientSecret',
  'password',
  'passwd',
  'cookie',
  'signature',
];

describe('when a log record holds a secret', () => {
  for (const key of SECRET_KEYS) {
    it(`keeps the value under "${key}" out of the line, two and three levels deep`, () => {
      const { logger, lines, text } = capturingLogger();
      logger.info({ channel: { config: { [key]: 'leak-2', plan: 'pro' } } }, 'two levels');
      logger.warn({ job: { data: { auth: { [key]: 'leak-3' } } } }, 'three levels');
      expect(text()).not.toContain('leak-');
      expect(lines[0]).toMatchObject({ channel: { config: { [key]: '[redacted]', plan: 'pro' } }, msg: 'two levels' });
      expect(lines[1]).toMatchObject({ job: { data: { auth: { [key]: '[redacted]' } } } });
    });
  }

  it('keeps the authorization and cookie request headers out of the line', () => {
    const { logger, lines, text } = capturingLogger();
    logger.info({ req: { headers: { authorization: 'Bearer leak', cookie: 'sid=leak', accept: 'json' } } }, 'request');
    expect(text()).not.toContain('leak');
    expect(lines[0]).toMatchObject({ req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'json' } } });
  });

  it('keeps the value of a { name, value } header whose name looks secret out of the line', () => {
    const { logger, text } = capturingLogger();
    logger.info({ request: { headers: [{ name: 'X-Signature', value: 'leak' }] } }, 'sent');
    expect(text()).not.toContain('leak');
  });

  it('keeps the message and stack of an error logged beside a secret, and redacts the error’s own secret fields', () => {
    const { logger, lines, text } = capturingLogger();
    const err = Object.assign(new Error('upstream refused'), { request: { apiKey: 'leak-err' } });
    logger.error({ err, call: { token: 'leak-call' } }, 'failed');
    expect(text()).not.toContain('leak-');
    expect(lines[0]).toMatchObject({
      err: { type: 'Error', message: 'upstream refused', request: { apiKey: '[redacted]' } },
      call: { token: '[redacted]' },
    });
    expect((lines[0]!.err as { stack: string }).stack).toContain('upstream refused');
  });

  it('keeps a secret in a record logged by a child logger out of the line', () => {
    const { logger, lines, text } = capturingLogger();
    logger.child({ component: 'webhooks' }).warn({ delivery: { endpoint: { signingSecret: 'leak' } } }, 'failed');
    expect(text()).not.toContain('leak');
    expect(lines[0]).toMatchObject({ component: 'webhooks', delivery: { endpoint: { signingSecret: '[redacted]' } } });
  });

  it('writes a record without secrets as it is', () => {
    const { logger, lines } = capturingLogger();
    logger.info({ reqId: 'r1', route: '/api/flows', status: 200, nested: { a: [1, { b: 'c' }] } }, 'request');
    expect(lines[0]).toMatchObject({ reqId: 'r1', route: '/api/flows', status: 200, nested: { a: [1, { b: 'c' }] } });
  });
});
