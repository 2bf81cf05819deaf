import { useEffect, useState } from 'react';
import type { FlowDocumentJson, FlowVersion, FlowVersionDetail, Page } from '../api/api-types.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { diffSummary } from './version-diff.ts';
import { ErrorAlert } from '../error-alert.tsx';

/** Published versions, what each changes against the current draft, and restoring one as the draft. */
export function VersionsPanel({ flowId, current, onRestore }: { flowId: string; current: () => FlowDocumentJson; onRestore: (doc: FlowDocumentJson) => void }) {
  const { api } = useSession();
  const [versions, setVersions] = useState<FlowVersion[] | null>(null);
  const [diffs, setDiffs] = useState<Record<number, string>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.get<Page<FlowVersion>>(`/flows/${flowId}/versions?limit=50`).then(
      (page) => setVersions(page.items),
      (err: unknown) => setError(messageOf(err)),
    );
  }, [api, flowId]);

  async function compare(version: number) {
    const detail = await api.get<FlowVersionDetail>(`/flows/${flowId}/versions/${version}`);
    const d = diffSummary(detail.document, current());
    const parts = [d.added && `${d.added} added`, d.removed && `${d.removed} removed`, d.changed && `${d.changed} changed`, d.edgesChanged && 'connections changed'].filter(Boolean);
    setDiffs((old) => ({ ...old, [version]: parts.length === 0 ? 'The draft is the same as this version.' : `Draft vs v${version}: ${parts.join(', ')}.` }));
  }

  async function restore(version: number) {
    if (!window.confirm(`Replace the draft with version ${version}? The published version does not change until you publish.`)) return;
    try {
      const detail = await api.get<FlowVersionDetail>(`/flows/${flowId}/versions/${version}`);
      onRestore(detail.document);
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section aria-label="Version history">
      <h2>Versions</h2>
      <ErrorAlert message={error} />
      {versions?.length === 0 && <p className="muted">Nothing published yet.</p>}
      <ul className="versions">
        {versions?.map((v) => (
          <li key={v.id}>
            <strong>v{v.version}</strong> · {new Date(v.createdAt).toLocaleString()}
            {v.note && <div>{v.note}</div>}
            <div className="row">
              <button type="button" className="secondary" onClick={() => void compare(v.version).catch((err: unknown) => setError(messageOf(err)))}>
                Compare with draft
              </button>
              <button type="button" className="secondary" onClick={() => void restore(v.version)}>
                Restore as draft
              </button>
            </div>
            {diffs[v.version] && <p className="hint">{diffs[v.version]}</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
