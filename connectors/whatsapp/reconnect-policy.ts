import type { ChannelStatus } from '../../engine/channels/channel-kind.ts';

/*
 * Baileys reports a close with a numeric code, and gives 408 to both "connection lost" and
 * "timed out"; we name the causes ourselves and decide per cause, in one table.
 */
export type DisconnectCause =
  | 'logged_out'
  | 'restart_required'
  | 'connection_replaced'
  | 'forbidden'
  | 'connection_closed'
  | 'connection_lost'
  | 'network_unreachable'
  | 'bad_session'
  | 'multidevice_mismatch'
  | 'unavailable'
  | 'unknown';

/**
 * Socket errors meaning this server cannot reach WhatsApp at all (no DNS, refused, no route,
 * timed out): Baileys wraps them in a 408 like a lost connection, with the socket's error as the
 * Boom's `data`. Told apart so that the channel says what a person must fix (the server's
 * internet access), not "connection lost".
 */
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

const CAUSE_BY_CODE: Record<number, DisconnectCause> = {
  401: 'logged_out',
  515: 'restart_required',
  440: 'connection_replaced',
  403: 'forbidden',
  428: 'connection_closed',
  408: 'connection_lost',
  500: 'bad_session',
  411: 'multidevice_mismatch',
  503: 'unavailable',
};

/** What the session does after a close. */
export type ReconnectAction =
  /** Wipe the auth state; a person must log in again. */
  | 'wipe_and_stop'
  /** Open a new socket at once (WhatsApp asks for it right after pairing). */
  | 'reconnect_now'
  /** Another client took the session: retry once after a long pause, then stop (never loop). */
  | 'backoff_once'
  /** The account is restricted: stop, pause sending, alert a person. */
  | 'pause_and_alert'
  /** Transient: exponential backoff with jitter, behind a circuit breaker. */
  | 'backoff';

export interface ReconnectRule {
  status: ChannelStatus;
  action: ReconnectAction;
}

/** The reconnect policy, by cause. */
export const RECONNECT_POLICY: Record<DisconnectCause, ReconnectRule> = {
  logged_out: { status: 'logged_out', action: 'wipe_and_stop' },
  restart_required: { status: 'connecting', action: 'reconnect_now' },
  connection_replaced: { status: 'conflict', action: 'backoff_once' },
  forbidden: { status: 'restricted', action: 'pause_and_alert' },
  connection_closed: { status: 'disconnected', action: 'backoff' },
  connection_lost: { status: 'disconnected', action: 'backoff' },
  network_unreachable: { status: 'disconnected', action: 'backoff' },
  bad_session: { status: 'disconnected', action: 'backoff' },
  multidevice_mismatch: { status: 'disconnected', action: 'backoff' },
  unavailable: { status: 'disconnected', action: 'backoff' },
  unknown: { status: 'disconnected', action: 'backoff' },
};

/** The cause of a close from Baileys' error (a Boom carrying `output.statusCode`). */
export function disconnectCause(error: unknown): DisconnectCause {
  if (socketErrorCode(error) !== null) return 'network_unreachable';
  const code = (error as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  return typeof code === 'number' ? (CAUSE_BY_CODE[code] ?? 'unknown') : 'unknown';
}

export const BACKOFF_BASE_MS = 2_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** Consecutive failed reconnects before the breaker opens. */
export const BREAKER_FAILURES = 8;
/** How long an open breaker waits before one more attempt. */
export const BREAKER_COOLDOWN_MS = 30 * 60_000;
/** The pause before the single retry after a conflict (440). */
export const CONFLICT_RETRY_MS = 10 * 60_000;

/**
 * Delays for transient closes: exponential from BACKOFF_BASE_MS up to BACKOFF_MAX_MS with "equal
 * jitter" (half fixed, half random, so processes restarted together spread out); after
 * BREAKER_FAILURES failures in a row the breaker opens and the next wait is BREAKER_COOLDOWN_MS.
 * A successful open resets it.
 */
export class ReconnectBackoff {
  private failures = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** The wait before the next attempt, and whether the breaker is now open. */
  next(): { delayMs: number; breakerOpen: boolean } {
    this.failures += 1;
    if (this.failures > BREAKER_FAILURES) {
      this.failures = 0;
      return { delayMs: BREAKER_COOLDOWN_MS, breakerOpen: true };
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.failures - 1));
    return { delayMs: Math.round(ceiling / 2 + (this.random() * ceiling) / 2), breakerOpen: false };
  }

  reset(): void {
    this.failures = 0;
  }
}

/** The socket error code (`ENOTFOUND`…) when the close says WhatsApp's servers could not be reached from here; null otherwise. */
export function socketErrorCode(error: unknown): string | null {
  const code = (error as { data?: { code?: unknown } } | undefined)?.data?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code) ? code : null;
}
