import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../route.ts';
import { AUTH_CACHE_TTL_MS, AuthCache } from './auth-cache.ts';
import type { Credential } from './authenticate.ts';

const T0 = Date.parse('2026-12-10T12:00:00Z');

function setup() {
  let now = T0;
  const cache = new AuthCache({ now: () => new Date(now) });
  return { cache, advance: (ms: number) => (now += ms) };
}

const key: Credential = { secret: 'om_key', via: 'header' };
const byKey: AuthContext = { workspaceId: 'w1', role: 'admin', actorKind: 'api_key', userId: null, apiKeyId: 'k1', session: null };

describe('when a credential was checked', () => {
  it('answers it from the cache for AUTH_CACHE_TTL_MS, then asks for a new check (the bound on a change made in another process)', () => {
    const { cache, advance } = setup();
    cache.set(key, byKey, cache.generation);
    advance(AUTH_CACHE_TTL_MS - 1);
    expect(cache.get(key)).toBe(byKey);
    advance(1);
    expect(cache.get(key)).toBeUndefined();
  });

  it('forgets every credential at once when this process ended or narrowed one (clear)', () => {
    const { cache } = setup();
    cache.set(key, byKey, cache.generation);
    cache.clear();
    expect(cache.get(key)).toBeUndefined();
  });

  it('does not keep the outcome of a check that began before a clear (it may predate the revocation)', () => {
    const { cache } = setup();
    const before = cache.generation;
    cache.clear();
    cache.set(key, byKey, before);
    expect(cache.get(key)).toBeUndefined();
  });

  it("never keeps a session past its token's expiry", () => {
    const { cache, advance } = setup();
    const session: Credential = { secret: 'jwt', via: 'cookie' };
    const auth: AuthContext = {
      ...byKey,
      actorKind: 'user',
      userId: 'u1',
      apiKeyId: null,
      session: { id: 's1', expiresAt: new Date(T0 + 10), via: 'cookie' },
    };
    cache.set(session, auth, cache.generation);
    advance(10);
    expect(cache.get(session)).toBeUndefined();
  });

  it('keeps the same secret by header and by cookie apart (the context says how it came)', () => {
    const { cache } = setup();
    cache.set(key, byKey, cache.generation);
    expect(cache.get({ ...key, via: 'cookie' })).toBeUndefined();
  });
});

describe('when requests miss together', () => {
  it('runs one check for the credential and answers every one of them from it', async () => {
    const { cache } = setup();
    let checks = 0;
    let finish!: (auth: AuthContext) => void;
    const check = () => {
      checks += 1;
      return new Promise<AuthContext>((resolve) => (finish = resolve));
    };
    const waiting = [cache.resolve(key, check), cache.resolve(key, check), cache.resolve(key, check)];
    finish(byKey);
    expect(await Promise.all(waiting)).toEqual([byKey, byKey, byKey]);
    expect(checks).toBe(1);
    expect(await cache.resolve(key, check)).toBe(byKey);
    expect(checks).toBe(1);
  });

  it('shares a refusal with the requests that waited for it, and checks again at the next request', async () => {
    const { cache } = setup();
    let checks = 0;
    const refuse = () => {
      checks += 1;
      return Promise.reject(new Error('unknown or revoked API key'));
    };
    const outcomes = await Promise.allSettled([cache.resolve(key, refuse), cache.resolve(key, refuse)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(checks).toBe(1);
    await expect(cache.resolve(key, refuse)).rejects.toThrow('unknown or revoked API key');
    expect(checks).toBe(2);
  });

  it('does not hand a check that began before a clear to a request that came after it', async () => {
    const { cache } = setup();
    let finishOld!: (auth: AuthContext) => void;
    const old = cache.resolve(key, () => new Promise<AuthContext>((resolve) => (finishOld = resolve)));
    cache.clear();
    const narrowed: AuthContext = { ...byKey, role: 'agent' };
    const after = cache.resolve(key, () => Promise.resolve(narrowed));
    finishOld(byKey);
    expect(await old).toBe(byKey);
    expect(await after).toBe(narrowed);
    expect(cache.get(key)).toBe(narrowed);
  });
});
