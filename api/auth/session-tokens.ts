import { hkdfSync } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '../../engine/errors/app-error.ts';

const TOKEN_TTL_SECONDS = 7 * 24 * 3600;
const ISSUER = 'onemessage';

export interface SessionClaims {
  userId: string;
  workspaceId: string;
}

/**
 * Signed session tokens (JWT, HS256) for users. The signing key is derived from the secret key
 * with HKDF, so it is never the key that encrypts data at rest. A token names one workspace;
 * membership and role are checked again on every request, so removing a member takes effect
 * at once even though tokens are stateless.
 */
export class SessionTokens {
  private readonly key: Uint8Array;

  constructor(secretKey: Buffer) {
    this.key = new Uint8Array(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'onemessage/session-token/v1', 32));
  }

  async issue(claims: SessionClaims): Promise<string> {
    return new SignJWT({ wid: claims.workspaceId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(this.key);
  }

  /** Returns the claims of a valid token; throws UnauthenticatedError otherwise. */
  async verify(token: string): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.wid !== 'string') throw new UnauthenticatedError('malformed session token');
      return { userId: payload.sub, workspaceId: payload.wid };
    } catch (err) {
      if (err instanceof UnauthenticatedError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new UnauthenticatedError(expired ? 'session token expired; log in again' : 'invalid session token', { cause: err });
    }
  }
}
