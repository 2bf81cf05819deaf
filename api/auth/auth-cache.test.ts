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
