import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiClient } from '../api/api-client.ts';
import type { SessionAnswer } from '../api/api-types.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { CenteredCard } from '../shell/centered-card.tsx';

/** Log in, or create an account and its first workspace. The URL stays: after login the page asked for opens. */
export function LoginPage() {
  const { signIn } = useSession();
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? '');
    setBusy(true);
    setError(null);
    try {
      const api = new ApiClient();
      const answer =
        mode === 'login'
          ? await api.post<SessionAnswer>('/auth/login', { email: field('email'), password: field('password') })
          : await api.post<SessionAnswer>('/auth/signup', {
              email: field('email'),
              password: field('password'),
              name: field('name'),
              workspaceName: field('workspaceName'),
            });
      signIn(answer);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <CenteredCard title={mode === 'login' ? 'Log in' : 'Create an account'}>
      <form onSubmit={(e) => void submit(e)} aria-label={mode === 'login' ? 'Log in' : 'Create an account'}>
        <Stack gap="sm">
          {mode === 'signup' && (
            <>
              <TextInput name="name" label="Your name" required autoComplete="name" />
              <TextInput
                name="workspaceName"
                label="Workspace name"
                description="Your company or team; you can invite others to it."
                required
              />
            </>
          )}
          <TextInput name="email" type="email" label="Email" required autoComplete="email" />
          <PasswordInput
            name="password"
            label="Password"
            required
            minLength={mode === 'signup' ? 8 : 1}
            description={mode === 'signup' ? 'At least 8 characters' : undefined}
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          />
          {error && (
            <Alert color="red" variant="light" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy} fullWidth>
            {mode === 'login' ? 'Log in' : 'Sign up'}
          </Button>
          <Anchor component="button" type="button" size="sm" onClick={() => setMode(mode === 'login' ? 'signup' : 'login')}>
            {mode === 'login' ? 'No account yet? Sign up' : 'Have an account? Log in'}
          </Anchor>
        </Stack>
      </form>
    </CenteredCard>
  );
}
