import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from '../api/api-client.ts';
import type { MeAnswer, SessionAnswer } from '../api/api-types.ts';
import { takePrefetchedSession } from '../api/prefetch.ts';
import { meKey } from '../api/queries/session.queries.ts';

/** `checking`: the server has not said yet whether the browser's session cookie is valid. */
export type SessionStatus = 'checking' | 'signed-in' | 'signed-out';

export interface Session {
  status: SessionStatus;
  api: ApiClient;
  /** After login, signup or a workspace switch: the server has set the session cookie. */
  signIn(answer: SessionAnswer): void;
  /** Ends the session on the server (which clears its cookies), then shows the login page. */
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/**
 * The editor's session. The token lives only in the httpOnly cookie the server sets, never in
 * this page's storage, so the page asks the server (GET /auth/me) whether it is logged in.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  // Cached answers belong to the session that read them: a login, a workspace switch or a logout starts afresh.
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<SessionStatus>('checking');
  const ended = useCallback(() => setStatus('signed-out'), []);
  // A new client per session, as there was one per token: pages that load on `api` reload after a workspace switch.
  const [api, setApi] = useState(() => new ApiClient(ended));

  useEffect(() => {
    let live = true;
    // The answer index.html started loading (static/prefetch.js), else a request of our own. The
    // answer is the caller (useMe), so the header and capability checks do not ask a second time.
    const check = takePrefetchedSession().then((prefetched) => prefetched ?? new ApiClient().get<MeAnswer>('/auth/me'));
    check.then(
      (answer) => {
        if (!live) return;
        if (answer === 'signed-out') return setStatus((s) => (s === 'checking' ? 'signed-out' : s));
        queryClient.setQueryData(meKey, answer);
        setStatus((s) => (s === 'checking' ? 'signed-in' : s));
      },
      () => live && setStatus((s) => (s === 'checking' ? 'signed-out' : s)),
    );
    return () => {
      live = false;
    };
  }, [queryClient]);

  const signIn = useCallback(
    (_answer: SessionAnswer) => {
      queryClient.clear();
      setApi(new ApiClient(ended));
      setStatus('signed-in');
    },
    [ended, queryClient],
  );
  const signOut = useCallback(async () => {
    // A session the server no longer knows is as good as ended: the page shows login either way.
    await api.post('/auth/logout').catch(() => undefined);
    queryClient.clear();
    setStatus('signed-out');
  }, [api, queryClient]);
  const value = useMemo(() => ({ status, api, signIn, signOut }), [status, api, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The current session; only inside SessionProvider. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
