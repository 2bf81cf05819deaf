import { describe, expect, it } from 'vitest';
import { isDependencyUnavailable } from './dependency-unavailable.ts';

function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

describe('isDependencyUnavailable', () => {
  it.each([
    ['shutting down', pgError('the database system is shutting down', '57P03')],
    ['starting up', pgError('the database system is starting up', '57P03')],
    ['administrator command', pgError('terminating connection due to administrator command', '57P01')],
    ['too many connections', pgError('sorry, too many clients already', '53300')],
    ['connection failure', pgError('connection failure', '08006')],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [
      'refused on both families',
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], ''),
    ],
    ['pg terminated', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['wrapped by the ORM', Object.assign(new Error('select 1 - Connection terminated'), { name: 'ConnectionException' })],
    ['in a cause', new Error('query failed', { cause: pgError('terminating connection due to administrator command', '57P01') })],
    ['redis closed', new Error('Connection is closed.')],
  ])('%s: yes', (_what, err) => expect(isDependencyUnavailable(err)).toBe(true));

  it.each([
    ['a unique violation', pgError('duplicate key value violates unique constraint', '23505')],
    ['a syntax error', pgError('syntax error at or near "x"', '42601')],
    ['a bug', new TypeError('cannot read properties of undefined')],
    ['not an error', 'oops'],
    ['nothing', undefined],
  ])('%s: no', (_what, err) => expect(isDependencyUnavailable(err)).toBe(false));

  it('stops on a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    a.cause = new Error('b', { cause: a });
    expect(isDependencyUnavailable(a)).toBe(false);
  });
});
