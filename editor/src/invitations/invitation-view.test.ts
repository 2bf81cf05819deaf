import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-client.ts';
import { acceptStep, invitationErrorText, invitationSentence, tokenOfUrl } from './invitation-view.ts';

const invitation = {
  email: 'sam@example.com',
  role: 'agent' as const,
  workspaceName: 'Workspace X',
  inviterName: 'Ada',
  expiresAt: '2030-01-01T00:00:00.000Z',
  hasAccount: false,
};

describe('when the accept page decides what to ask', () => {
  it('asks for a name and password when the invited email has no account', () => {
    expect(acceptStep(invitation, false)).toBe('create_account');
  });

  it('asks to log in first when the invited email already has an account', () => {
    expect(acceptStep({ ...invitation, hasAccount: true }, false)).toBe('log_in_first');
  });

  it('offers to join directly when logged in', () => {
    expect(acceptStep({ ...invitation, hasAccount: true }, true)).toBe('join');
  });
});

describe('when the accept page reads its link', () => {
  it('finds the token in the fragment, or in the query of an old hash link', () => {
    expect(tokenOfUrl({ hash: '#token=abc_DEF-123', search: '' })).toBe('abc_DEF-123');
    expect(tokenOfUrl({ hash: '', search: '?token=abc_DEF-123' })).toBe('abc_DEF-123');
    expect(tokenOfUrl({ hash: '', search: '' })).toBeNull();
  });

  it('says who invited you to what', () => {
    expect(invitationSentence(invitation)).toBe('Ada invited you to join Workspace X as an agent.');
    expect(invitationSentence({ ...invitation, inviterName: null })).toBe('An administrator invited you to join Workspace X as an agent.');
    expect(invitationSentence({ ...invitation, role: 'marketer' })).toBe('Ada invited you to join Workspace X as a marketer.');
  });

  it('explains an expired, used or withdrawn link in plain words, not codes', () => {
    expect(invitationErrorText(new ApiError(410, 'invitation_expired', 'x'))).toMatch(/^This invitation has expired/);
    expect(invitationErrorText(new ApiError(410, 'invitation_used', 'x'))).toMatch(/already been used/);
    expect(invitationErrorText(new ApiError(410, 'invitation_revoked', 'x'))).toMatch(/withdrawn/);
    expect(invitationErrorText(new ApiError(404, 'not_found', 'invitation was not found'))).toMatch(/not valid/);
  });
});
