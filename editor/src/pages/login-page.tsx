import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '../api/api-client.ts';
import type { SessionAnswer } from '../api/api-types.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorAlert } from '../error-alert.tsx';

/** Log in, or create an account and its first workspace. */
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
          : await api.post<SessionAnswer>('/auth/signup', { email: field('email'), password: field('password'), name: field('name'), workspaceName: field('workspaceName') });
      signIn(answer);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <h1>OneMessage</h1>
      <p className="muted">Build, test and publish messaging flows.</p>
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title" className="card">
        <h2 id="login-title">{mode === 'login' ? 'Log in' : 'Create an account'}</h2>
        {mode === 'signup' && (
          <>
            <label>
              Your name
              <input name="name" required autoComplete="name" />
            </label>
            <label>
              Workspace name
              <input name="workspaceName" required />
            </label>
          </>
        )}
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          Password
          <input name="password" type="password" required minLength={mode === 'signup' ? 8 : 1} autoComplete={mode === 'login' ? 'current-password' : 'new-password'} />
        </label>
        <ErrorAlert message={error} />
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Sign up'}
        </button>
        <button type="button" className="link" onClick={() => setMode(mode === 'login' ? 'signup' : 'login')}>
          {mode === 'login' ? 'No account yet? Sign up' : 'Have an account? Log in'}
        </button>
      </form>
    </main>
  );
}
