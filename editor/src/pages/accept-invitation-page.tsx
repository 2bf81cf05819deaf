import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiClient } from '../api/api-client.ts';
import type { InvitationLookup, SessionAnswer } from '../api/api-types.ts';
import { ErrorAlert } from '../error-alert.tsx';
import { acceptStep, invitationErrorText, invitationSentence, tokenOfUrl } from '../invitations/invitation-view.ts';
import { useSession } from '../session/session-context.tsx';

/**
 * The page an invitation link opens (`/invitations/accept#token=…`): who invited you to what,
 * then create your account, log in first, or join, depending on whether you have an account
 * and are logged in.
 */
export function AcceptInvitationPage() {
  const { status, api, signIn, signOut } = useSession();
  const navigate = useNavigate();
  const [token] = useState(() => tokenOfUrl(window.location));
  const [invitation, setInvitation] = useState<InvitationLookup | null>(null);
  const [failure, setFailure] = useState<string | null>(token ? null : 'This link has no invitation in it. Open the whole link from your invitation email or message.');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!token) return;
    new ApiClient().post<InvitationLookup>('/invitations/lookup', { token }).then(setInvitation, (err: unknown) => setFailure(invitationErrorText(err)));
  }, [token]);

  async function run(action: () => Promise<SessionAnswer>) {
    setBusy(true);
    setError(null);
    try {
      signIn(await action());
      void navigate('/flows');
    } catch (err) {
      setError(invitationErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  function createAccount(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(() => new ApiClient().post<SessionAnswer>('/invitations/accept', { token, name: String(form.get('name') ?? ''), password: String(form.get('password') ?? '') }));
  }

  // Logging in only stores the session; the page then offers to join.
  async function logIn(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      signIn(await new ApiClient().post<SessionAnswer>('/auth/login', { email: invitation?.email, password: String(form.get('password') ?? '') }));
    } catch (err) {
      setError(invitationErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (failure) {
    return (
      <main className="login">
        <h1>OneMessage</h1>
        <div className="card" role="alert">
          <h2>This invitation cannot be used</h2>
          <p>{failure}</p>
          <a href="/flows">Go to OneMessage</a>
        </div>
      </main>
    );
  }
  if (!invitation || status === 'checking') {
    return (
      <main className="login">
        <p className="muted">Opening your invitation…</p>
      </main>
    );
  }
  const step = acceptStep(invitation, status === 'signed-in');
  return (
    <main className="login">
      <h1>OneMessage</h1>
      <div className="card">
        <h2>You are invited</h2>
        <p>{invitationSentence(invitation)}</p>
        <p className="muted small">
          The invitation is for {invitation.email}. It works once, until {new Date(invitation.expiresAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}.
        </p>
        {step === 'join' && (
          <>
            <button type="button" disabled={busy} onClick={() => void run(() => api.post<SessionAnswer>('/invitations/accept', { token }))}>
              Join {invitation.workspaceName}
            </button>
            <p className="hint">
              Not {invitation.email}?{' '}
              <button type="button" className="link" onClick={signOut}>
                Log out
              </button>
            </p>
          </>
        )}
        {step === 'log_in_first' && (
          <form onSubmit={(e) => void logIn(e)} aria-label="Log in first">
            <p>You already have an account for {invitation.email}: log in first, then accept.</p>
            <label>
              Password
              <input name="password" type="password" required autoComplete="current-password" />
            </label>
            <button type="submit" disabled={busy}>
              Log in
            </button>
          </form>
        )}
        {step === 'create_account' && (
          <form onSubmit={createAccount} aria-label="Create your account">
            <p>Create your account to accept.</p>
            <label>
              Your name
              <input name="name" required autoComplete="name" />
            </label>
            <label>
              Choose a password
              <input name="password" type="password" required minLength={8} autoComplete="new-password" />
            </label>
            <button type="submit" disabled={busy}>
              Create account and join
            </button>
          </form>
        )}
        <ErrorAlert message={error} />
      </div>
    </main>
  );
}
