import type { Clock } from '../../engine/clock.ts';
import type { AuthContext } from '../route.ts';
import type { Credential } from './authenticate.ts';

/**
 * How long an api process trusts a credential it checked, ms. The bound on how late a change
 * made through another api process (or the CLI) takes effect here: a logout, "log out
 * everywhere", a password change, a revoked API key, a member removed or given another role is
 * refused (or applied) by every api process at most this long after its commit. In the process
 * that made the change it applies at once (see `clear`).
 */
export const AUTH_CACHE_TTL_MS = 1_000;
/** Credentials kept at most; when full the cache starts over (a burst of distinct tokens costs lookups, not memory). */
const AUTH_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  auth: AuthContext;
  /** Epoch ms after which the credential is checked again. */
  until: number;
}

/**
 * The outcome of `authenticate` per credential, for AUTH_CACHE_TTL_MS: a busy client (a
 * provider posting inbound messages, a script) costs one signature check and one statement a
 * second instead of one per request. Only successes are kept; a refused credential is checked
 * every time. Routes that end credentials (`RouteDef.endsCredentials`) clear it when they
 * succeed; a check that began before such a clear does not write its (possibly stale) outcome.
 */
export class AuthCache {
  private entries = new Map<string, Entry>();
  /** Checks running, by credential: the requests that miss together share one (this generation's only). */
  private checking = new Map<string, Promise<AuthContext>>();
  private generationNo = 0;

  constructor(private readonly clock: Clock) {}

  /** Changes at every clear: pass the value read before a check to `set`. */
  get generation(): number {
    return this.generationNo;
  }

  get(credential: Credential): AuthContext | undefined {
    const entry = this.entries.get(keyOf(credential));
    if (!entry) return undefined;
    if (this.clock.now().getTime() < entry.until) return entry.auth;
    this.entries.delete(keyOf(credential));
    return undefined;
  }

  /**
   * The credential's context: remembered, or from the check already running for it, or from
   * `check` (kept when it succeeds). When an entry expires, every request of a busy client misses
   * at once (the ingress bench's 50 connections: 23 checks a second instead of 1): they wait for
   * one check. A request that arrives after a `clear` starts a check of its own.
   */
  resolve(credential: Credential, check: () => Promise<AuthContext>): Promise<AuthContext> {
    const cached = this.get(credential);
    if (cached) return Promise.resolve(cached);
    const key = keyOf(credential);
    const running = this.checking.get(key);
    if (running) return running;
    const generation = this.generationNo;
    const checking = this.checking;
    const checked = check()
      .then((auth) => {
        this.set(credential, auth, generation);
        return auth;
      })
      .finally(() => {
        if (checking.get(key) === checked) checking.delete(key);
      });
    checking.set(key, checked);
    return checked;
  }

  /** Keeps a successful check made since `generation`; never past the session token's own expiry. */
  set(credential: Credential, auth: AuthContext, generation: number): void {
    if (generation !== this.generationNo) return;
    if (this.entries.size >= AUTH_CACHE_MAX_ENTRIES) this.entries.clear();
    const until = Math.min(this.clock.now().getTime() + AUTH_CACHE_TTL_MS, auth.session?.expiresAt.getTime() ?? Infinity);
    this.entries.set(keyOf(credential), { auth, until });
  }

  /** Forgets every credential: called after a change that may end or narrow one. */
  clear(): void {
    this.entries = new Map();
    this.checking = new Map();
    this.generationNo += 1;
  }
}

/** The same secret by header and by cookie are two entries: the AuthContext says how it came. */
function keyOf(credential: Credential): string {
  return `${credential.via}:${credential.secret}`;
}
