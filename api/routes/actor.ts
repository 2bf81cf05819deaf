import type { AuthContext } from '../route.ts';

/** The audit actor for an authenticated caller. */
export function actorOf(auth: AuthContext): { kind: 'user' | 'api_key'; id: string | null } {
  return auth.actorKind === 'user' ? { kind: 'user', id: auth.userId } : { kind: 'api_key', id: auth.apiKeyId };
}
