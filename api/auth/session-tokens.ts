import { hkdfSync, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '../../engine/errors/app-error.ts';

export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
const ISSUER = 'onemessage';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SessionClaims {
  userId: string;
  workspaceId: string;
  /** The user's `token_version` when the token is issued; a later bump ends the token. */
  version: number;
}

/** A verified token: its claims, its own id (for logout) and when it expires. */
export interface Session extends SessionClaims {
  id: string;
  expiresAt: Date;
}

/**
 * Signed session tokens (JWT, HS256) for users. The signing key is derived from the secret key
 * with HKDF, so it is never the key that encrypts data at rest. A token names one workspace,
 * carries its own id (`jti`) and the user's token version (`ver`); authenticate() checks the
 * membership, the version and the revoked ids on every request, so a signature alone is never
 * enough to stay logged in.
 */
export class SessionTokens {
  private readonly key: Uint8Array;

  constructor(secretKey: Buffer) {
    this.key = new Uint8Array(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'onemessage/session-token/v1', 32));
  }

  async issue(claims: SessionClaims): Promise<string> {
    return new SignJWT({ wid: claims.workspaceId, ver: claims.version })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${SESSION_TTL_SECONDS}s`)
      .sign(this.key);
  }

  /** Returns the session of a validly signed, unexpired token; throws UnauthenticatedError otherwise. */
  async verify(token: string): Promise<Session> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.wid !== 'string' || typeof payload.exp !== 'number')
        throw new UnauthenticatedError('malformed session token');
      // Tokens issued before sessions could be revoked have neither: they cannot be cut, so they are refused.
      if (typeof payload.jti !== 'string' || !UUID.test(payload.jti) || !Number.isSafeInteger(payload.ver))
        throw new UnauthenticatedError('this session token is from an older version of the server; log in again');
      return {
        userId: payload.sub,
        workspaceId: payload.wid,
        version: payload.ver as number,
        id: payload.jti,
        expiresAt: new Date(payload.exp * 1000),
      };
    } catch (err) {
      if (err instanceof UnauthenticatedError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new UnauthenticatedError(expired ? 'session token expired; log in again' : 'invalid session token', { cause: err });
    }
  }
}
