import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from '../api/api-client.ts';
import type { SessionAnswer } from '../api/api-types.ts';

/** Where the session token is kept between reloads (this tab and others of the same origin). */
const TOKEN_KEY = 'onemessage.token';

export interface Session {
  token: string | null;
  api: ApiClient;
  /** Stores a fresh session (login, signup, workspace switch). */
  signIn(answer: SessionAnswer): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const signOut = useCallback(() => {
    localStorage.removeItem(TOKEN_KEY);
    setToken(null);
  }, []);
  const signIn = useCallback((answer: SessionAnswer) => {
    localStorage.setItem(TOKEN_KEY, answer.token);
    setToken(answer.token);
  }, []);
  const api = useMemo(() => new ApiClient(token, signOut), [token, signOut]);
  const value = useMemo(() => ({ token, api, signIn, signOut }), [token, api, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The current session; only inside SessionProvider. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
