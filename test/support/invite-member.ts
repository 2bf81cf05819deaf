import { expect } from 'vitest';
import { ApiClient } from './api-client.ts';

export interface InvitedMember {
  /** A client with the new member's session in the inviting workspace. */
  client: ApiClient;
  token: string;
  memberId: string;
  userId: string;
}

/**
 * Adds a member the only way a person joins a workspace: an admin invites the email, and the
 * person accepts the link, creating their own account with their own password.
 */
export async function inviteMember(
  admin: ApiClient,
  member: { email: string; role: string; name: string; password: string },
): Promise<InvitedMember> {
  const invited = await admin.post('/api/v1/invitations', { email: member.email, role: member.role });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const anonymous = new ApiClient(admin.baseUrl);
  const accepted = await anonymous.post('/api/v1/invitations/accept', {
    token: tokenOfAcceptUrl(invited.body.acceptUrl),
    name: member.name,
    password: member.password,
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  const members = await admin.get('/api/v1/members');
  const row = members.body.items.find((m: { email: string }) => m.email === member.email.toLowerCase());
  return { client: admin.as(accepted.body.token), token: accepted.body.token, memberId: row.id, userId: accepted.body.user.id };
}

/** The token of an accept link (it rides in the URL fragment: `…/invitations/accept#token=…`). */
export function tokenOfAcceptUrl(acceptUrl: string): string {
  return new URLSearchParams(new URL(acceptUrl).hash.slice(1)).get('token')!;
}
