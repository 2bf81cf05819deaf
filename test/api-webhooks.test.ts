import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { inviteMember } from './support/invite-member.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

let api: TestApi;
let owner: ApiClient;
let agent: ApiClient;
const receiver = new WebhookReceiver();

function payloadsOf(type: string, secret: string): { type: string; data: Record<string, any> }[] {
  return receiver.received
    .map((r) => new Webhook(secret).verify(r.body, r.headers) as { type: string; data: Record<string, any> })
    .filter((p) => p.type === type);
}

beforeAll(async () => {
  await receiver.start();
  // The receiver listens on 127.0.0.1: the operator's allow-list lets webhooks reach it.
  api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'owner@example.com',
    password: 'password-owner',
    name: 'Owner',
    workspaceName: 'Hooks',
  });
  owner = api.client.as(signup.body.token);
  const member = await inviteMember(owner, { email: 'agent@example.com', role: 'agent', name: 'Agent', password: 'password-agent' });
  agent = api.client.as(member.token);
});

afterAll(async () => {
  await api?.close();
  await receiver.stop();
});

describe('when an owner registers a webhook', () => {
  let webhook: { id: string; secret: string };
  let conversationId: string;

  it('answers the signing secret once, and never again', async () => {
    const res = await owner.post('/api/v1/webhooks', {
      url: receiver.url,
      description: 'CRM',
      eventTypes: ['message.received', 'conversation.state_changed', 'message.status'],
    });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(res.body).toMatchObject({
      url: receiver.url,
      enabled: true,
      eventTypes: ['message.received', 'conversation.state_changed', 'message.status'],
    });
    webhook = { id: res.body.id, secret: res.body.secret };
    const listed = await owner.get('/api/v1/webhooks');
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(webhook.secret);
    expect(JSON.stringify((await owner.get(`/api/v1/webhooks/${webhook.id}`)).body)).not.toContain(webhook.secret.slice(6, 20));
  });

  it('delivers a signed message.received when a contact writes', async () => {
    const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' });
    const inbound = await owner.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, {
      from: '+15550001111',
      text: 'hello hooks',
      name: 'Ana',
    });
    conversationId = inbound.body.conversationId;
    const received = await eventually(async () => payloadsOf('message.received', webhook.secret)[0]);
    expect(received.data).toMatchObject({
      messageId: inbound.body.messageId,
      conversationId,
      text: 'hello hooks',
      contact: { id: inbound.body.contactId, phone: '+15550001111', name: 'Ana' },
    });
  });

  it('delivers conversation.state_changed when the conversation moves, and message.status for a reply', async () => {
    await owner.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'a reply' });
    await owner.post(`/api/v1/conversations/${conversationId}/resolve`);
    const moved = await eventually(async () =>
      payloadsOf('conversation.state_changed', webhook.secret).find((p) => p.data.to === 'resolved'),
    );
    expect(moved.data).toMatchObject({ conversationId, to: 'resolved' });
    const status = await eventually(async () => payloadsOf('message.status', webhook.secret).find((p) => p.data.status === 'sent'));
    expect(status.data).toMatchObject({ conversationId, status: 'sent' });
  });

  it('lists the deliveries with each attempt, and redelivers one with the same webhook-id', async () => {
    const deliveries = await eventually(async () => {
      const res = await owner.get(`/api/v1/webhooks/${webhook.id}/deliveries?status=succeeded`);
      return res.body.items.length >= 3 ? res.body.items : undefined;
    });
    const first = deliveries.find((d: any) => d.type === 'message.received');
    const detail = await owner.get(`/api/v1/webhook-deliveries/${first.id}`);
    expect(detail.body).toMatchObject({ status: 'succeeded', attempts: 1, payload: { type: 'message.received' } });
    expect(detail.body.attemptLog).toEqual([expect.objectContaining({ statusCode: 200, manual: false, responseExcerpt: 'thanks' })]);
    const before = receiver.received.filter((r) => r.headers['webhook-id'] === first.eventId).length;
    expect((await owner.post(`/api/v1/webhook-deliveries/${first.id}/redeliver`, {})).status).toBe(202);
    await eventually(async () =>
      receiver.received.filter((r) => r.headers['webhook-id'] === first.eventId).length === before + 1 ? true : undefined,
    );
    const again = await eventually(async () => {
      const res = await owner.get(`/api/v1/webhook-deliveries/${first.id}`);
      return res.body.attemptLog.length === 2 ? res.body : undefined;
    });
    expect(again.attemptLog[1]).toMatchObject({ manual: true, statusCode: 200 });
  });

  it('rotates the secret: the new one verifies deliveries from then on', async () => {
    const rotated = await owner.post(`/api/v1/webhooks/${webhook.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    const count = receiver.received.length;
    const channel = (await owner.get('/api/v1/channels')).body.items[0];
    await owner.post(`/api/v1/channels/${channel.id}/sandbox/inbound`, { from: '+15550002222', text: 'after rotation' });
    const got = await eventually(async () => receiver.received.slice(count).find((r) => r.body.includes('after rotation')));
    expect(new Webhook(rotated.body.secret).verify(got.body, got.headers)).toMatchObject({ type: 'message.received' });
    expect(new Webhook(webhook.secret).verify(got.body, got.headers)).toMatchObject({ type: 'message.received' });
  });

  it('sends nothing once turned off', async () => {
    const off = await owner.patch(`/api/v1/webhooks/${webhook.id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, disabledReason: 'turned_off' });
    const count = receiver.received.length;
    const channel = (await owner.get('/api/v1/channels')).body.items[0];
    const inbound = await owner.post(`/api/v1/channels/${channel.id}/sandbox/inbound`, { from: '+15550003333', text: 'while off' });
    // Once the engine handled the message (where message.received is emitted), no event was recorded for it.
    await eventually(async () =>
      (
        await runSql(api.env.orm.em.fork(), `select 1 from messages where id = :id and handled_at is not null`, {
          id: inbound.body.messageId,
        })
      ).rowCount > 0
        ? true
        : undefined,
    );
    expect((await runSql(api.env.orm.em.fork(), `select 1 from webhook_events where payload::text like '%while off%'`)).rowCount).toBe(0);
    expect(receiver.received.slice(count).some((r) => r.body.includes('while off'))).toBe(false);
    const on = await owner.patch(`/api/v1/webhooks/${webhook.id}`, { enabled: true });
    expect(on.body).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('deletes it', async () => {
    expect((await owner.delete(`/api/v1/webhooks/${webhook.id}`)).status).toBe(204);
    expect((await owner.get(`/api/v1/webhooks/${webhook.id}`)).status).toBe(404);
  });
});

describe('when the address is private or internal', () => {
  it.each([
    ['http://10.1.2.3/hook', 'private'],
    ['http://localhost:8080/hook', 'internal hostname'],
    ['http://169.254.169.254/latest', 'metadata'],
    ['http://[::1]/hook', 'loopback'],
  ])('refuses %s, saying what the allow-list is for', async (url, reason) => {
    const res = await owner.post('/api/v1/webhooks', { url, eventTypes: ['message.received'] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(reason);
    expect(res.body.error.message).toContain('HTTP_ALLOW_HOSTS');
  });

  it('refuses addresses that are not web addresses', async () => {
    for (const url of ['ftp://example.com/x', 'https://user:pw@example.com/x', 'not a url']) {
      const res = await owner.post('/api/v1/webhooks', { url, eventTypes: ['message.received'] });
      expect(res.status, url).toBe(400);
    }
  });

  it('refuses an unknown event type', async () => {
    const res = await owner.post('/api/v1/webhooks', { url: 'https://example.com/x', eventTypes: ['message.deleted'] });
    expect(res.status).toBe(400);
  });
});

describe('when an agent asks', () => {
  it("is refused: webhooks carry contacts' messages", async () => {
    expect((await agent.get('/api/v1/webhooks')).status).toBe(403);
    expect((await agent.post('/api/v1/webhooks', { url: 'https://example.com/x', eventTypes: ['message.received'] })).status).toBe(403);
  });
});
