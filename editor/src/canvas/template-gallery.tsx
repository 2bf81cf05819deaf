import { useEffect, useState } from 'react';
import type { FlowDocumentJson } from '../api/api-types.ts';

interface Template {
  name: string;
  description: string | null;
  document: FlowDocumentJson;
}

// The flows of examples/flows/, each loaded when the gallery first shows (not in the editor's main bundle).
const TEMPLATE_LOADERS = import.meta.glob<Template>('../../../examples/flows/*.json', { import: 'default' });

/**
 * What an empty flow shows on its canvas: how to start, and the example flows as templates. A
 * template replaces the empty draft (one undoable edit).
 */
export function TemplateGallery({ onUse }: { onUse: (document: FlowDocumentJson) => void }) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  useEffect(() => {
    let cancelled = false;
    void Promise.all(Object.keys(TEMPLATE_LOADERS).sort().map((key) => TEMPLATE_LOADERS[key]!())).then((loaded) => !cancelled && setTemplates(loaded));
    return () => {
      cancelled = true;
    };
  }, []);
  return (
    <section className="empty-canvas" aria-label="Start this flow">
      <h2>This flow is empty</h2>
      <p>
        Drag a <strong>Message received</strong> trigger from the left to start, then add what should happen below it. Or start from a template:
      </p>
      <ul className="templates">
        {templates?.map((t) => (
          <li key={t.name}>
            <button type="button" className="template" onClick={() => onUse(t.document)}>
              <strong>{t.name}</strong>
              {t.description && <span>{t.description}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
