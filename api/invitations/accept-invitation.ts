import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { InvitationClosedError } from '../../engine/errors/invitation-closed.error.ts';
import { InvitationEmailMismatchError } from '../../engine/errors/invitation-email-mismatch.error.ts';
import type { Role } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { hashPassword } from '../../platform/crypto/password.ts';
import { InvitationSchema, type Invitation } from '../../platform/db/entities/invitation.entity.ts';
import { MembershipSchema } from '../../platform/db/entities/membership.entity.ts';
import { UserSchema, type User } from '../../platform/db/entities/user.entity.ts';
import { WorkspaceSchema, type Workspace } from '../../platform/db/entities/workspace.entity.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { hashRandomToken } from '../auth/random-token.ts';

const UNIQUE_VIOLATION = '23505';

/**
 * The invitation a token names, if it can still be accepted. An unknown token answers like any
 * missing resource and says nothing more, so a wrong token learns nothing.
 */
export async function findOpenInvitation(em: EntityManager, token: string, now: Date): Promise<Invitation> {
  const invitation = await em.findOne(InvitationSchema, { tokenHash: hashRandomToken(token) });
  if (!invitation) throw new NotFoundError('invitation');
  const closed = closedReason(invitation, now);
  if (closed) throw new InvitationClosedError(invitation.id, closed);
  return invitation;
}

function closedReason(invitation: Invitation, now: Date): 'revoked' | 'used' | 'expired' | null {
  if (invitation.revokedAt) return 'revoked';
  if (invitation.acceptedAt) return 'used';
  if (invitation.expiresAt <= now) return 'expired';
  return null;
}

/**
 * Takes the invitation for one acceptance. Two accepts of one link at once both reach this
 * statement; the second waits on the row lock of the first and, once the first commits,
 * re-checks the condition, finds `accepted_at` set and updates nothing. The claim is in the
 * same transaction as the account and membership it grants: if either fails, the link stays
 * usable.
 */
const CLAIM_SQL = `update invitations set accepted_at = :now
  where id = :id and accepted_at is null and revoked_at is null and expires_at > :now
  returning id`;

/** Whoever accepts: a logged-in user, or a new account to create with the invited email. */
export type Acceptor = { kind: 'user'; userId: string } | { kind: 'new_account'; name: string | undefined; password: string | undefined };

export interface Accepted {
  user: User;
  workspace: Workspace;
  role: Role;
}

/**
 * Accepts an invitation: adds the membership, creating the account first when the acceptor has
 * none. Nothing is written unless every check passes and the claim succeeds.
 */
export async function acceptInvitation(
  em: EntityManager,
  input: { token: string; acceptor: Acceptor; now: Date; ip: string | undefined },
): Promise<Accepted> {
  const { now } = input;
  const invitation = await findOpenInvitation(em, input.token, now);
  let existing: User | null = null;
  let newAccount: { name: string; passwordHash: string } | null = null;
  if (input.acceptor.kind === 'user') {
    existing = await em.findOneOrFail(UserSchema, { id: input.acceptor.userId });
    if (existing.email !== invitation.email) throw new InvitationEmailMismatchError(invitation.id);
    if (await em.count(MembershipSchema, { workspaceId: invitation.workspaceId, userId: existing.id }))
      throw new ConflictError('you are already a member of this workspace; switch to it from the workspace menu');
  } else {
    const { name, password } = input.acceptor;
    const missing = [
      ...(name ? [] : [{ path: 'name', message: 'required to create your account' }]),
      ...(password ? [] : [{ path: 'password', message: 'required to create your account' }]),
    ];
    if (missing.length)
      throw new ValidationError(
        `give ${missing.map((m) => m.path).join(' and ')} to create your account, or log in first if you already have one`,
        { details: missing },
      );
    // Only the holder of this invitation's link learns this, and only about the invited email.
    if (await em.count(UserSchema, { email: invitation.email }))
      throw new ConflictError('an account with this email already exists: log in first, then open the invitation link again to accept it');
    newAccount = { name: name!, passwordHash: await hashPassword(password!) };
  }
  try {
    return await em.transactional(async (tx) => {
      const claimed = await runSql(tx, CLAIM_SQL, { id: invitation.id, now });
      if (claimed.rowCount === 0) {
        // Read again to say why: another accept won, or it was revoked or expired meanwhile.
        const current = await tx.findOneOrFail(InvitationSchema, { id: invitation.id }, { refresh: true });
        throw new InvitationClosedError(invitation.id, closedReason(current, now) ?? 'used');
      }
      const user =
        existing ??
        tx.create(UserSchema, {
          id: newId(),
          email: invitation.email,
          name: newAccount!.name,
          passwordHash: newAccount!.passwordHash,
          createdAt: now,
          updatedAt: now,
          lastLoginAt: now,
        });
      // Entities hold ids, not relations: the user row is written before the rows that refer to it.
      await tx.flush();
      const membership = tx.create(MembershipSchema, {
        id: newId(),
        workspaceId: invitation.workspaceId,
        userId: user.id,
        role: invitation.role,
        createdAt: now,
      });
      await runSql(tx, `update invitations set accepted_by = :userId where id = :id`, { userId: user.id, id: invitation.id });
      audit(tx, {
        workspaceId: invitation.workspaceId,
        actor: { kind: 'user', id: user.id },
        action: 'invitation.accepted',
        target: { kind: 'invitation', id: invitation.id },
        details: { membershipId: membership.id, role: invitation.role, newAccount: !existing },
        ip: input.ip ?? null,
      });
      const workspace = await tx.findOneOrFail(WorkspaceSchema, { id: invitation.workspaceId });
      return { user, workspace, role: invitation.role };
    });
  } catch (err) {
    // An account with this email was created between the check and the insert (a signup at the
    // same moment): the transaction, claim included, rolled back.
    if ((err as { code?: string }).code === UNIQUE_VIOLATION)
      throw new ConflictError('an account with this email already exists: log in first, then open the invitation link again to accept it', {
        cause: err,
      });
    throw err;
  }
}
