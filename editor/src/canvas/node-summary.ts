/** A one-line reminder of what a node does, drawn under its title on the canvas. */
export function nodeSummary(kind: string, config: unknown): string {
  const c = (config ?? {}) as Record<string, unknown>;
  switch (kind) {
    case 'message_received': {
      const match = c.match as { kind?: string; keywords?: string[]; pattern?: string } | undefined;
      if (match?.kind === 'keyword') return `keywords: ${(match.keywords ?? []).join(', ')}`;
      if (match?.kind === 'regex') return `pattern: ${match.pattern ?? ''}`;
      return 'any message';
    }
    case 'send_message':
      // The template's name is not in the document; the node's settings show it.
      if (typeof c.templateId === 'string') return 'a saved template';
      return String(c.text ?? '');
    case 'ask_question':
      return String(c.text ?? c.prompt ?? '');
    case 'schedule':
      return String(c.cron ?? '');
    case 'delay': {
      const d = c.duration as { amount?: number; unit?: string } | undefined;
      return c.mode === 'until_time' ? `until ${String(c.time ?? '')}` : `${d?.amount ?? ''} ${d?.unit ?? ''}`;
    }
    case 'add_tag':
    case 'remove_tag':
      return String(c.tag ?? '');
    case 'set_contact_attribute':
      return `${String(c.key ?? '')} = ${String(c.value ?? '')}`;
    case 'http_request':
      return `${String(c.method ?? 'GET')} ${String(c.url ?? '')}`;
    default:
      return '';
  }
}
