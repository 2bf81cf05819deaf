import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { can, type Role } from '../../../engine/tenancy/role.ts';
import { ApiError } from '../api/api-client.ts';
import type { MeAnswer } from '../api/api-types.ts';
import { ErrorAlert } from '../error-alert.tsx';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';

/** A secret as the API lists it: never its value. */
interface Secret {
  id: string;
  name: string;
  last4: string;
  createdBy: { id: string; name: string } | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The workspace's secrets: values that HTTP request nodes send as `{{secrets.NAME}}`. A value is
 * typed once (create or replace) and never shown again, only its last 4 characters.
 */
export function SecretsPage() {
  const { api } = useSession();
  const [secrets, setSecrets] = useState<Secret[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [replacing, setReplacing] = useState<string | null>(null);
  // The caller's role decides what the page offers: agents see no secrets, marketers see names only.
  const [role, setRole] = useState<Role | null>(null);
  const [hidden, setHidden] = useState(false);

  const load = useCallback(async () => {
    try {
      setSecrets((await api.get<{ items: Secret[] }>('/secrets')).items);
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) setHidden(true);
      else setError(messageOf(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
    api.get<MeAnswer>('/auth/me').then((me) => setRole(me.role as Role), () => undefined);
  }, [load, api]);
  const manages = role !== null && can(role, 'secrets.manage');

  async function act(change: () => Promise<unknown>) {
    setError(null);
    try {
      await change();
      await load();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void act(async () => {
      await api.post('/secrets', { name: String(data.get('name') ?? '').trim(), value: String(data.get('value') ?? '') });
      form.reset();
    });
  }

  return (
    <section aria-labelledby="secrets-title">
      <h1 id="secrets-title">Secrets</h1>
      <p className="muted">
        API keys and tokens for HTTP request nodes. Write <code className="code">{'{{secrets.NAME}}'}</code> in a node's URL, headers or body; the value is never shown again, not even
        here.
      </p>
      {hidden && <p>Secrets are kept by the workspace's owners and admins. Ask one of them if a flow needs a new key.</p>}
      {role && !manages && !hidden && <p className="hint">Only owners and admins add, replace or delete secrets.</p>}
      {manages && (
        <form onSubmit={create} className="inline-form card" autoComplete="off">
          <label className="inline">
            Name
            <input name="name" required maxLength={64} pattern="[A-Za-z_][A-Za-z0-9_]*" placeholder="STRIPE_KEY" />
          </label>
          <label className="inline">
            Value
            <input name="value" type="password" required minLength={8} maxLength={4096} autoComplete="new-password" />
          </label>
          <button type="submit">Add secret</button>
        </form>
      )}
      <ErrorAlert message={error} />
      {hidden ? null : secrets === null ? (
        !error && <p>Loading…</p>
      ) : secrets.length === 0 ? (
        <p>No secrets yet.</p>
      ) : (
        <table className="flows-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Created by</th>
              <th scope="col">Changed</th>
              {manages && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {secrets.map((s) => (
              <tr key={s.id}>
                <td>
                  <code className="code">{s.name}</code>
                </td>
                <td className="muted">…{s.last4}</td>
                <td>{s.createdBy?.name ?? 'an API key'}</td>
                <td>{new Date(s.updatedAt).toLocaleString()}</td>
                {manages && (
                  <td>
                    {replacing === s.id ? (
                      <form
                        autoComplete="off"
                        onSubmit={(e) => {
                          e.preventDefault();
                          const value = String(new FormData(e.currentTarget).get('value') ?? '');
                          setReplacing(null);
                          void act(() => api.patch(`/secrets/${s.id}`, { value }));
                        }}
                      >
                        <label className="inline">
                          New value
                          <input name="value" type="password" required minLength={8} maxLength={4096} autoComplete="new-password" />
                        </label>
                        <button type="submit">Save</button>
                        <button type="button" className="secondary" onClick={() => setReplacing(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <>
                        <button type="button" className="secondary" onClick={() => setReplacing(s.id)}>
                          Replace value
                        </button>{' '}
                        <button type="button" className="secondary" onClick={() => window.confirm(`Delete the secret ${s.name}?`) && void act(() => api.delete(`/secrets/${s.id}`))}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
