import { useEffect, useState, type ReactNode } from 'react';
import type { MeAnswer, SessionAnswer } from './api/api-types.ts';
import { useSession } from './session/session-context.tsx';

/** The top bar: navigation, the workspace switcher and logout. */
export function AppHeader({ children }: { children?: ReactNode }) {
  const { api, signIn, signOut } = useSession();
  const [me, setMe] = useState<MeAnswer | null>(null);
  useEffect(() => {
    api.get<MeAnswer>('/auth/me').then(setMe, () => undefined);
  }, [api]);

  async function switchTo(workspaceId: string) {
    const answer = await api.post<SessionAnswer>('/auth/switch', { workspaceId });
    signIn(answer);
    window.location.hash = '#/flows';
  }

  return (
    <header className="app-header">
      <a className="brand" href="#/flows">
        OneMessage
      </a>
      <nav aria-label="Main">
        <a href="#/flows">Flows</a>
        <a href="#/channels">Channels</a>
        <a href="#/broadcasts">Broadcasts</a>
        <a href="#/members">Members</a>
        <a href="#/secrets">Secrets</a>
      </nav>
      {children}
      <div className="header-end">
        {me && me.workspaces.length > 0 && (
          <label className="inline">
            Workspace
            <select value={me.workspace.id} onChange={(e) => void switchTo(e.target.value)}>
              {me.workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {me?.user && <span className="muted">{me.user.email}</span>}
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Log out
        </button>
      </div>
    </header>
  );
}
