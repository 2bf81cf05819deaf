import { describe, expect, it } from 'vitest';
import { diffSummary } from './version-diff.ts';

const doc = (config: Record<string, unknown>) => ({
  schemaVersion: 1 as const,
  nodes: [{ id: 't', type: 'message_received', position: { x: 0, y: 0 }, config }],
  edges: [],
});

describe('comparing a version with the draft', () => {
  it('sees no change when only the key order differs (the server stores documents as jsonb, which reorders keys)', () => {
    const draft = doc({ channels: 'all', match: { kind: 'keyword', keywords: ['hi'] }, firstMessageOnly: false });
    const stored = doc({ match: { keywords: ['hi'], kind: 'keyword' }, channels: 'all', firstMessageOnly: false });
    expect(diffSummary(stored, draft)).toEqual({ added: 0, removed: 0, changed: 0, edgesChanged: false });
  });

  it('counts a changed config', () => {
    expect(diffSummary(doc({ match: { kind: 'any' } }), doc({ match: { kind: 'keyword', keywords: ['x'] } })).changed).toBe(1);
  });
});
