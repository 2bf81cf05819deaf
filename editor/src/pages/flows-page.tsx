import { useCallback, useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import type { FlowDetail, FlowExport, FlowListItem, Page } from '../api/api-types.ts';
import { downloadJson } from '../download-json.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorAlert } from '../error-alert.tsx';

/** The workspace's flows: create, rename, duplicate, delete, import/export, activate. */
export function FlowsPage() {
  const { api } = useSession();
  const [flows, setFlows] = useState<FlowListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setFlows((await api.get<Page<FlowListItem>>('/flows?limit=200')).items);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      await load();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get('name') ?? '').trim();
    if (!name) return;
    try {
      const flow = await api.post<FlowDetail>('/flows', { name });
      window.location.hash = `#/flows/${flow.id}`;
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function importFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    await act(async () => {
      let parsed: Partial<FlowExport>;
      try {
        parsed = JSON.parse(await file.text()) as Partial<FlowExport>;
      } catch {
        throw new Error(`${file.name} is not JSON: export a flow from OneMessage and import that file`);
      }
      await api.post('/flows/import', { name: parsed.name, description: parsed.description ?? null, document: parsed.document });
    });
  }

  return (
    <section aria-labelledby="flows-title">
      <div className="toolbar">
        <h1 id="flows-title">Flows</h1>
        <form onSubmit={(e) => void create(e)} className="inline-form">
          <label className="inline">
            New flow name
            <input name="name" required maxLength={200} placeholder="Welcome" />
          </label>
          <button type="submit">Create flow</button>
        </form>
        <label className="button secondary">
          Import JSON
          <input type="file" accept="application/json,.json" className="visually-hidden" onChange={(e) => void importFile(e)} />
        </label>
      </div>
      <ErrorAlert message={error} />
      {flows === null ? (
        <p>Loading…</p>
      ) : flows.length === 0 ? (
        <p>No flows yet: create one above.</p>
      ) : (
        <table className="flows-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Published</th>
              <th scope="col">Active</th>
              <th scope="col">Runs (24 h)</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {flows.map((flow) => (
              <tr key={flow.id}>
                <td>
                  {renaming === flow.id ? (
                    <form
                      onSubmit={(e) => {
                        e.preventDefault();
                        const name = String(new FormData(e.currentTarget).get('name') ?? '');
                        setRenaming(null);
                        void act(() => api.patch(`/flows/${flow.id}`, { name, baseRevision: flow.draftRevision }));
                      }}
                    >
                      <label className="inline">
                        New name
                        <input name="name" defaultValue={flow.name} required autoFocus />
                      </label>
                      <button type="submit">Save</button>
                    </form>
                  ) : (
                    <a href={`/flows/${flow.id}`}>{flow.name}</a>
                  )}
                </td>
                <td>{flow.publishedVersion === null ? <span className="muted">draft only</span> : `v${flow.publishedVersion}`}</td>
                <td>
                  <label className="inline">
                    <input
                      type="checkbox"
                      checked={flow.active}
                      disabled={flow.publishedVersion === null}
                      onChange={(e) => {
                        const active = e.target.checked;
                        // Shown at once; the reload after the request puts back the server's answer if it refused.
                        setFlows((list) => list?.map((f) => (f.id === flow.id ? { ...f, active } : f)) ?? null);
                        void act(() => api.patch(`/flows/${flow.id}`, { active }));
                      }}
                    />
                    <span className="visually-hidden">Active: {flow.name}</span>
                    {flow.active ? 'On' : 'Off'}
                  </label>
                </td>
                <td>{formatRuns(flow.runsLast24h)}</td>
                <td className="actions">
                  <button type="button" className="secondary" onClick={() => setRenaming(flow.id)} aria-label={`Rename ${flow.name}`}>
                    Rename
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Duplicate ${flow.name}`}
                    onClick={() =>
                      void act(async () => {
                        const exported = await api.get<FlowExport>(`/flows/${flow.id}/export`);
                        await api.post('/flows/import', { ...exported, name: `Copy of ${exported.name}`.slice(0, 200) });
                      })
                    }
                  >
                    Duplicate
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Export ${flow.name}`}
                    onClick={() => void act(async () => downloadJson(`${flow.name}.flow.json`, await api.get<FlowExport>(`/flows/${flow.id}/export`)))}
                  >
                    Export
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Delete ${flow.name}`}
                    onClick={() => {
                      if (window.confirm(`Delete the flow "${flow.name}"? It stops answering messages; its past runs stay in history.`)) void act(() => api.delete(`/flows/${flow.id}`));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function formatRuns(counts: Record<string, number>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0);
  if (parts.length === 0) return 'none';
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  return `${total} (${parts.map(([status, n]) => `${n} ${status}`).join(', ')})`;
}
