import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../connectors/webhook/webhook-signature.ts';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

// A webhook channel's replies go out several at once (one at a time capped a channel near 100
// replies/s: the ingress bench had them 21 s late), while one conversation's replies still
// arrive one after the other, in order.

let api: TestApi;
let client: ApiClient;
let channelId: string;
let secret: string;
const receiver = new WebhookReceiver();
/** The receiving service answers after this long, so that concurrent requests overlap. */
receiver.answerAfterMs = 150;

beforeAll(async () => {
  await receiver.start();
  api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'hook-sends@example.com',
    password: 'a long password',
    name: 'Hook',
    workspaceName: 'Hook sends',
  });
  client = api.client.as(signup.body.token);
  const created = await client.post('/api/v1/channels', { kind: 'webhook', name: 'Other service', url: receiver.url });
  expect(created.status).toBe(201);
  channelId = created.body.id;
  secret = created.body.webhookSecret;
  await publishFlow(
    api,
    signup.body.workspace.id,
    doc(
      [keywordTrigger('t', ['echo'], 'starts_with'), node('reply', 'send_message', { text: 'got {{message.text}}' })],
      [edge('t', 'out', 'reply')],
    ),
    'echo',
  );
}, 60_000);

afterAll(async () => {
  await api?.close();
  await receiver.stop();
});

function signedPost(body: unknown) {
  const raw = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  return client.request('post', `/hooks/channels/${channelId}`, undefined, {
    rawBody: raw,
    headers: { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(secret, ts, raw) },
  });
}

describe('webhook channel sends', () => {
  it('POST many conversations’ replies at once, and one conversation’s replies one after the other in order', async () => {
    const posts = [];
    for (let i = 0; i < 24; i++) posts.push(signedPost({ event: 'message', id: `m-${i}`, from: { id: `user-${i}` }, text: `echo ${i}` }));
    // One contact's messages one after the other, so that their order is theirs (posted at once, they may arrive in any order).
    for (let k = 0; k < 4; k++) {
      const res = await signedPost({ event: 'message', id: `same-${k}`, from: { id: 'user-same' }, text: `echo same ${k}` });
      expect(res.status).toBe(202);
    }
    for (const res of await Promise.all(posts)) expect(res.status).toBe(202);

    await eventually(async () => (receiver.received.length >= 28 && receiver.open === 0 ? true : undefined), 30_000);
    expect(receiver.received).toHaveLength(28);
    // One at a time would hold one request at any moment and take 28 × 150 ms.
    expect(receiver.mostOpen).toBeGreaterThanOrEqual(4);
    const same = receiver.received
      .map((r) => JSON.parse(r.body) as { to: { externalIds: { value: string }[] }; text: string })
      .filter((p) => p.to.externalIds[0]!.value === 'user-same')
      .map((p) => p.text);
    expect(same).toEqual(['got echo same 0', 'got echo same 1', 'got echo same 2', 'got echo same 3']);
  }, 60_000);
});
