import { describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from './flow-document.fixture.ts';
import { secretReferences } from './secret-references.ts';

describe('secretReferences', () => {
  it('lists each secret an HTTP request node names once per node, from its URL, headers and body', () => {
    const flow = doc(
      [
        keywordTrigger('t', ['hi']),
        node('a', 'http_request', {
          method: 'POST',
          url: 'https://x.example/?k={{secrets.A_KEY}}',
          headers: [{ name: 'Authorization', value: 'Bearer {{secrets.A_KEY}}' }],
          body: { b: ['{{secrets.B_KEY}}'] },
        }),
        node('b', 'http_request', { url: 'https://y.example/', headers: [{ name: 'X-Key', value: '{{ secrets.B_KEY }}' }] }),
      ],
      [edge('t', 'out', 'a'), edge('a', 'success', 'b')],
    );
    expect(secretReferences(flow as never)).toEqual([
      { nodeId: 'a', name: 'A_KEY' },
      { nodeId: 'a', name: 'B_KEY' },
      { nodeId: 'b', name: 'B_KEY' },
    ]);
  });

  it('ignores text that only mentions secrets and nodes whose config does not parse', () => {
    const flow = doc([
      keywordTrigger('t', ['hi']),
      node('s', 'send_message', { text: 'see {{secrets.A_KEY}}' }),
      node('bad', 'http_request', { url: 'ftp://x', headers: [{ name: 'K', value: '{{secrets.C}}' }] }),
    ]);
    expect(secretReferences(flow as never)).toEqual([]);
  });
});
