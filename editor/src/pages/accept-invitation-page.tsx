import { Alert, Anchor, Button, Center, Loader, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiClient } from '../api/api-client.ts';
import type { InvitationLookup, SessionAnswer } from '../api/api-types.ts';
import { acceptStep, invitationErrorText, invitationSentence, tokenOfUrl } from '../invitations/invitation-view.ts';
import { useSession } from '../session/session-context.tsx';
import { CenteredCard } from '../shell/centered-card.tsx';

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
  const [failure, setFailure] = useState<string | null>(
    token ? null : 'This link has no invitation in it. Open the whole link from your invitation email or message.',
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!token) return;
    new ApiClient()
      .post<InvitationLookup>('/invitations/lookup', { token })
      .then(setInvitation, (err: unknown) => setFailure(invitationErrorText(err)));
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
    void run(() =>
      new ApiClient().post<SessionAnswer>('/invitations/accept', {
        token,
        name: String(form.get('name') ?? ''),
        password: String(form.get('password') ?? ''),
      }),
    );
  }

  // Logging in only stores the session; the page then offers to join.
  async function logIn(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      signIn(
        await new ApiClient().post<SessionAnswer>('/auth/login', {
          email: invitation?.email,
          password: String(form.get('password') ?? ''),
        }),
      );
    } catch (err) {
      setError(invitationErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (failure) {
    return (
      <CenteredCard title="This invitation cannot be used">
        <Stack gap="md">
          <Alert color="red" variant="light" role="alert">
            {failure}
          </Alert>
          <Anchor component={Link} to="/flows">
            Go to OneMessage
          </Anchor>
        </Stack>
      </CenteredCard>
    );
  }
  if (!invitation || status === 'checking') {
    return (
      <Center mih="100vh" aria-busy="true">
        <Stack align="center" gap="xs">
          <Loader />
          <Text c="dimmed">Opening your invitation…</Text>
        </Stack>
      </Center>
    );
  }
  const step = acceptStep(invitation, status === 'signed-in');
  return (
    <CenteredCard title="You are invited">
      <Stack gap="md">
        <Text>{invitationSentence(invitation)}</Text>
        <Text size="sm" c="dimmed">
          The invitation is for {invitation.email}. It works once, until{' '}
          {new Date(invitation.expiresAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}.
        </Text>
        {step === 'join' && (
          <>
            <Button loading={busy} onClick={() => void run(() => api.post<SessionAnswer>('/invitations/accept', { token }))}>
              Join {invitation.workspaceName}
            </Button>
            <Text size="sm">
              Not {invitation.email}?{' '}
              <Anchor component="button" type="button" onClick={() => void signOut()}>
                Log out
              </Anchor>
            </Text>
          </>
        )}
        {step === 'log_in_first' && (
          <form onSubmit={(e) => void logIn(e)} aria-label="Log in first">
            <Stack gap="sm">
              <Text>You already have an account for {invitation.email}: log in first, then accept.</Text>
              <PasswordInput name="password" label="Password" required autoComplete="current-password" />
              <Button type="submit" loading={busy}>
                Log in
              </Button>
            </Stack>
          </form>
        )}
        {step === 'create_account' && (
          <form onSubmit={createAccount} aria-label="Create your account">
            <Stack gap="sm">
              <Text>Create your account to accept.</Text>
              <TextInput name="name" label="Your name" required autoComplete="name" />
              <PasswordInput
                name="password"
                label="Choose a password"
                description="At least 8 characters"
                required
                minLength={8}
                autoComplete="new-password"
              />
              <Button type="submit" loading={busy}>
                Create account and join
              </Button>
            </Stack>
          </form>
        )}
        {error && (
          <Alert color="red" variant="light" role="alert">
            {error}
          </Alert>
        )}
      </Stack>
    </CenteredCard>
  );
}
