import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../connectors/webhook/webhook-signature.ts';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';

// A webhook channel's replies go out several at once (one at a time capped a channel near 100
// replies/s: the ingress bench had them 21 s late), while one conversation's replies still
// arrive one after the other, in order.

let api: TestApi;
let client: ApiClient;
let channelId: string;
let secret: string;
let receiver: Server;
/** Requests the receiving service holds at the moment, the most it held, and what it got, in arrival order. */
let open = 0;
let mostOpen = 0;
const received: { to: string; text: string; openWhenArrived: number }[] = [];
/** The receiving service answers after this long, so that concurrent requests overlap. */
const ANSWER_AFTER_MS = 150;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      const payload = JSON.parse(body) as { to: { externalIds: { value: string }[] }; text: string };
      received.push({ to: payload.to.externalIds[0]!.value, text: payload.text, openWhenArrived: open });
      setTimeout(() => {
        open--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, ANSWER_AFTER_MS);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'hook-sends@example.com',
    password: 'a long password',
    name: 'Hook',
    workspaceName: 'Hook sends',
  });
  client = api.client.as(signup.body.token);
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/inbox`;
  const created = await client.post('/api/v1/channels', { kind: 'webhook', name: 'Other service', url });
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
  await new Promise((resolve) => receiver?.close(resolve));
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
    for (let k = 0; k < 4; k++)
      posts.push(signedPost({ event: 'message', id: `same-${k}`, from: { id: 'user-same' }, text: `echo same ${k}` }));
    for (const res of await Promise.all(posts)) expect(res.status).toBe(202);

    await eventually(async () => (received.length >= 28 && open === 0 ? true : undefined), 30_000);
    expect(received).toHaveLength(28);
    // One at a time would hold one request at any moment and take 28 × 150 ms.
    expect(mostOpen).toBeGreaterThanOrEqual(4);
    const same = received.filter((r) => r.to === 'user-same').map((r) => r.text);
    expect(same).toEqual(['got echo same 0', 'got echo same 1', 'got echo same 2', 'got echo same 3']);
  }, 60_000);
});
