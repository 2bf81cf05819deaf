import { Boom } from '@hapi/boom';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  BREAKER_COOLDOWN_MS,
  BREAKER_FAILURES,
  disconnectCause,
  RECONNECT_POLICY,
  ReconnectBackoff,
} from './reconnect-policy.ts';

const closeWith = (statusCode: number) => new Boom('closed', { statusCode });

describe('disconnectCause and RECONNECT_POLICY', () => {
  it.each([
    [DisconnectReason.loggedOut, 'logged_out', 'logged_out', 'wipe_and_stop'],
    [DisconnectReason.restartRequired, 'restart_required', 'connecting', 'reconnect_now'],
    [DisconnectReason.connectionReplaced, 'connection_replaced', 'conflict', 'backoff_once'],
    [DisconnectReason.forbidden, 'forbidden', 'restricted', 'pause_and_alert'],
    [DisconnectReason.connectionClosed, 'connection_closed', 'disconnected', 'backoff'],
    [DisconnectReason.connectionLost, 'connection_lost', 'disconnected', 'backoff'],
    [DisconnectReason.badSession, 'bad_session', 'disconnected', 'backoff'],
    [DisconnectReason.unavailableService, 'unavailable', 'disconnected', 'backoff'],
    [DisconnectReason.multideviceMismatch, 'multidevice_mismatch', 'disconnected', 'backoff'],
  ])('code %i is %s: status %s, then %s', (code, cause, status, action) => {
    expect(disconnectCause(closeWith(code))).toBe(cause);
    expect(RECONNECT_POLICY[disconnectCause(closeWith(code))]).toEqual({ status, action });
  });

  it.each(['ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN'])(
    'names a socket that cannot reach WhatsApp (%s, which Baileys reports as a 408) network_unreachable, and backs off',
    (code) => {
      const socketError = Object.assign(new Error(`getaddrinfo ${code} web.whatsapp.com`), { code });
      const close = new Boom(`WebSocket Error (${socketError.message})`, {
        statusCode: DisconnectReason.connectionLost,
        data: socketError,
      });
      expect(disconnectCause(close)).toBe('network_unreachable');
      expect(RECONNECT_POLICY.network_unreachable).toEqual({ status: 'disconnected', action: 'backoff' });
    },
  );

  it('keeps a dropped connection (ECONNRESET) a lost connection, not an unreachable server', () => {
    const close = new Boom('WebSocket Error (read ECONNRESET)', {
      statusCode: DisconnectReason.connectionLost,
      data: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(disconnectCause(close)).toBe('connection_lost');
  });

  it('treats a close without a code, or with an unknown one, as transient', () => {
    expect(disconnectCause(new Error('socket hang up'))).toBe('unknown');
    expect(disconnectCause(closeWith(499))).toBe('unknown');
    expect(RECONNECT_POLICY.unknown.action).toBe('backoff');
  });
});

describe('ReconnectBackoff', () => {
  it('grows exponentially with jitter between half and all of the ceiling, capped', () => {
    const low = new ReconnectBackoff(() => 0);
    const high = new ReconnectBackoff(() => 1);
    expect(low.next().delayMs).toBe(BACKOFF_BASE_MS / 2);
    expect(high.next().delayMs).toBe(BACKOFF_BASE_MS);
    expect(high.next().delayMs).toBe(BACKOFF_BASE_MS * 2);
    for (let i = 0; i < 5; i++) high.next();
    expect(high.next().delayMs).toBeLessThanOrEqual(BACKOFF_MAX_MS);
  });

  it('opens the circuit breaker after too many failures in a row, and a success resets it', () => {
    const backoff = new ReconnectBackoff(() => 0.5);
    for (let i = 0; i < BREAKER_FAILURES; i++) expect(backoff.next().breakerOpen).toBe(false);
    expect(backoff.next()).toEqual({ delayMs: BREAKER_COOLDOWN_MS, breakerOpen: true });
    backoff.next();
    backoff.reset();
    expect(backoff.next().delayMs).toBe(Math.round(BACKOFF_BASE_MS * 0.75));
  });
});
