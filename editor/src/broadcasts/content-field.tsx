import type { FlowListItem } from '../api/api-types.ts';
import { TemplateField } from '../forms/template-field.tsx';
import type { BroadcastDraft } from './broadcast-draft.ts';

type ContentFields = Pick<BroadcastDraft, 'contentKind' | 'text' | 'mediaUrl' | 'flowId'>;

/** What each recipient gets: a message from a template (media optional), or a run of a published flow. */
export function ContentField({ value, flows, onChange }: { value: ContentFields; flows: FlowListItem[] | null; onChange: (patch: Partial<ContentFields>) => void }) {
  const published = flows?.filter((f) => f.publishedVersion !== null) ?? [];
  return (
    <fieldset className="field">
      <legend>Content</legend>
      <div className="row" role="radiogroup" aria-label="Content kind">
        <label className="inline">
          <input type="radio" name="content-kind" checked={value.contentKind === 'message'} onChange={() => onChange({ contentKind: 'message' })} />
          Message
        </label>
        <label className="inline">
          <input type="radio" name="content-kind" checked={value.contentKind === 'flow'} onChange={() => onChange({ contentKind: 'flow' })} />
          Start a flow
        </label>
      </div>
      {value.contentKind === 'message' ? (
        <>
          <TemplateField label="Message text" value={value.text} onChange={(text) => onChange({ text })} multiline required />
          <label>
            Media URL (optional)
            <input type="url" value={value.mediaUrl} onChange={(e) => onChange({ mediaUrl: e.target.value })} placeholder="https://example.com/offer.jpg" />
          </label>
        </>
      ) : (
        <label>
          Flow
          <select value={value.flowId} onChange={(e) => onChange({ flowId: e.target.value })}>
            <option value="">choose a published flow…</option>
            {published.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name} (v{f.publishedVersion}
                {f.active ? '' : ', inactive'})
              </option>
            ))}
          </select>
          {flows !== null && published.length === 0 && <span className="hint">No published flow yet: publish one in the flow editor first.</span>}
        </label>
      )}
    </fieldset>
  );
}
