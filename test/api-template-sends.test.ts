import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROADCAST_JOB_OPTIONS, BROADCASTS_QUEUE, startJobId } from '../platform/broadcasts/broadcast-queues.ts';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { testSql } from './support/test-sql.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { waitForBroadcastState } from './support/broadcast-state.ts';
import { eventually } from './support/eventually.ts';

/*
 * Saved templates sent by reference from broadcasts, canned responses and the test chat, and the
 * version history that says which flow and broadcast sends which version.
 */

let api: TestApi;
let owner: ApiClient;
let agent: ApiClient;
let ownerB: ApiClient;
let channelId: string;
let phoneSeq = 0;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

const bilingual = (en: string, es: string) => ({
  fallbackLanguage: 'en',
  variants: [
    { language: 'en', text: en },
    { language: 'es', text: es },
  ],
});

async function createTemplate(name: string, content: unknown, as: ApiClient = owner): Promise<string> {
  const res = await as.post('/api/v1/templates', { name, content });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** Contacts tagged `tag`, one per language attribute given (null: no language attribute). */
async function contacts(tag: string, languages: (string | null)[]): Promise<{ id: string; name: string; language: string | null }[]> {
  const made = [];
  for (const language of languages) {
    phoneSeq += 1;
    const name = `Person ${phoneSeq}`;
    const res = await owner.post('/api/v1/contacts', {
      phone: `+1777${String(1_000_000 + phoneSeq)}`,
      name,
      tags: [tag],
      attributes: language === null ? {} : { language },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    made.push({ id: res.body.id, name, language });
  }
  return made;
}

function templateBroadcast(
  name: string,
  tag: string,
  templateId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    channelId,
    audience: { kind: 'segment', rule: { in: [tag, { var: 'contact.tags' }] } },
    content: { kind: 'template', templateId },
    schedule: { kind: 'now' },
    ...overrides,
  };
}

async function create(body: Record<string, unknown>): Promise<string> {
  const created = await owner.post('/api/v1/broadcasts', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function schedule(id: string): Promise<void> {
  const scheduled = await owner.post(`/api/v1/broadcasts/${id}/schedule`, {});
  expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
}

/** The broadcast's messages by contact id: text and media. */
async function sent(broadcastId: string): Promise<Map<string, { text: string; type: string; media: { url: string } | null }>> {
  const rows = await sql<{ contactId: string; text: string; type: string; media: { url: string } | null }>(
    `select contact_id as "contactId", text, type, media from messages where idempotency_key like :prefix`,
    { prefix: `broadcast:${broadcastId}:%` },
  );
  return new Map(rows.map((r) => [r.contactId, { text: r.text, type: r.type, media: r.media }]));
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'template-sends@example.com',
    password: 'password-123',
    name: 'Mia Marketer',
    workspaceName: 'Sends',
  });
  owner = api.client.as(signup.body.token);
  agent = api.client.as((await owner.post('/api/v1/api-keys', { name: 'support', role: 'agent' })).body.secret);
  ownerB = api.client.as(
    (
      await api.client.post('/api/v1/auth/signup', {
        email: 'template-sends-b@example.com',
        password: 'password-123',
        name: 'B',
        workspaceName: 'B',
      })
    ).body.token,
  );
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
});

afterAll(async () => {
  await api?.close();
});

describe('when a broadcast sends a saved template', () => {
  let templateId: string;
  let people: { id: string; name: string; language: string | null }[];
  let id: string;
  let finished: any;

  beforeAll(async () => {
    templateId = await createTemplate('Spring offer', {
      fallbackLanguage: 'en',
      variants: [
        { language: 'en', text: 'Hi {{contact.name}}, 20% off at {{workspace.name}} ({{contact.plan | "free"}})' },
        {
          language: 'es',
          text: 'Hola {{contact.name}}, 20% de descuento',
          mediaUrl: 'https://cdn.example.com/oferta-{{contact.name}}.jpg',
        },
      ],
    });
    people = await contacts('spring', ['es-MX', 'en', 'de', null]);
    id = await create(templateBroadcast('Spring sale', 'spring', templateId));
    await schedule(id);
    finished = await waitForBroadcastState(owner, id, 'completed');
  });

  it('gives each recipient the variant of their language attribute, else the fallback, filled in for them', async () => {
    const messages = await sent(id);
    const [mexican, english, german, unknown] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0], (typeof people)[0]];
    expect(messages.get(mexican.id)).toEqual({
      text: `Hola ${mexican.name}, 20% de descuento`,
      type: 'image',
      media: { url: `https://cdn.example.com/oferta-${encodeURIComponent(mexican.name)}.jpg` },
    });
    expect(messages.get(english.id)).toEqual({ text: `Hi ${english.name}, 20% off at Sends (free)`, type: 'text', media: null });
    expect(messages.get(german.id)?.text).toBe(`Hi ${german.name}, 20% off at Sends (free)`);
    expect(messages.get(unknown.id)?.text).toBe(`Hi ${unknown.name}, 20% off at Sends (free)`);
  });

  it('records the version it sent on the broadcast', async () => {
    const template = await owner.get(`/api/v1/templates/${templateId}`);
    expect(finished.content).toEqual({ kind: 'template', templateId });
    expect(finished.templateVersion).toEqual({ id: template.body.versionId, version: 1 });
  });

  it("shows the broadcast beside that version in the template's history", async () => {
    await owner.patch(`/api/v1/templates/${templateId}`, {
      content: bilingual('Hi {{contact.name}}, 30% off', 'Hola {{contact.name}}, 30%'),
    });
    const versions = (await owner.get(`/api/v1/templates/${templateId}/versions`)).body.items;
    expect(versions.map((v: any) => [v.version, v.broadcasts.map((b: any) => b.name)])).toEqual([
      [2, []],
      [1, ['Spring sale']],
    ]);
    expect(versions[1].createdBy).toEqual({ id: expect.any(String), name: 'Mia Marketer' });
  });
});

/** A template broadcast to one new English-speaking contact, scheduled for 2099. */
async function scheduledFor2099(name: string, content: ReturnType<typeof bilingual>) {
  const templateId = await createTemplate(name, content);
  const [person] = await contacts(name.toLowerCase(), ['en']);
  const id = await create(
    templateBroadcast(`${name} day`, name.toLowerCase(), templateId, {
      schedule: { kind: 'at', localTime: '2099-01-01T09:00', timezone: 'UTC' },
    }),
  );
  await schedule(id);
  return { templateId, person, id };
}

describe('which version a broadcast sends', () => {
  it('sends the version current when it starts, not the one current when it was scheduled', async () => {
    const { templateId, person, id } = await scheduledFor2099('Launch', bilingual('Launch v1, {{contact.name}}', 'Lanzamiento v1'));
    expect((await owner.get(`/api/v1/broadcasts/${id}`)).body.templateVersion).toBeNull();
    await owner.patch(`/api/v1/templates/${templateId}`, { content: bilingual('Launch v2, {{contact.name}}', 'Lanzamiento v2') });
    // Moved from 2099 to now: it starts at once.
    expect((await owner.patch(`/api/v1/broadcasts/${id}`, { schedule: { kind: 'now' } })).status).toBe(200);
    const done = await waitForBroadcastState(owner, id, 'completed');
    expect(done.templateVersion.version).toBe(2);
    expect((await sent(id)).get(person!.id)?.text).toBe(`Launch v2, ${person!.name}`);
  });

  it('starts when moved to now even if its start job runs before the edit has returned', async () => {
    const { person, id } = await scheduledFor2099('Flash', bilingual('Flash sale, {{contact.name}}', 'Oferta'));
    // A busy machine's order, made certain: a start job due now is processed before its add returns.
    const add = Queue.prototype.add;
    const spy = vi.spyOn(Queue.prototype, 'add').mockImplementation(async function (this: Queue, ...args: Parameters<Queue['add']>) {
      const job = await add.apply(this, args);
      if (this.name === BROADCASTS_QUEUE && args[0] === 'start' && !args[2]?.delay)
        await eventually(async () => (['completed', 'failed', 'unknown'].includes(await job.getState()) ? true : undefined), 10_000);
      return job;
    });
    try {
      expect((await owner.patch(`/api/v1/broadcasts/${id}`, { schedule: { kind: 'now' } })).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
    await waitForBroadcastState(owner, id, 'completed', 10_000);
    expect((await sent(id)).get(person!.id)?.text).toBe(`Flash sale, ${person!.name}`);
  });

  it('keeps the version it started with when the template is edited while it runs', async () => {
    const templateId = await createTemplate('Slow news', bilingual('News v1, {{contact.name}}', 'Noticias v1'));
    const people = await contacts('slow', ['en', 'en']);
    // One a minute: the second recipient's batch is due a minute after the first.
    const id = await create(templateBroadcast('Slow news', 'slow', templateId, { pacePerMinute: 1 }));
    await schedule(id);
    await eventually(async () => ((await sent(id)).size === 1 ? true : undefined));
    expect((await owner.post(`/api/v1/broadcasts/${id}/pause`, {})).status).toBe(200);
    await owner.patch(`/api/v1/templates/${templateId}`, { content: bilingual('News v2, {{contact.name}}', 'Noticias v2') });
    // A resume sends the next batch at once.
    expect((await owner.post(`/api/v1/broadcasts/${id}/resume`, {})).status).toBe(200);
    const done = await waitForBroadcastState(owner, id, 'completed');
    expect(done.templateVersion.version).toBe(1);
    const texts = [...(await sent(id)).values()].map((m) => m.text).sort();
    expect(texts).toEqual(people.map((p) => `News v1, ${p.name}`).sort());
  });
});

describe('when a broadcast names a template it cannot send', () => {
  it('refuses a template whose text needs what a broadcast does not know, in words', async () => {
    const templateId = await createTemplate('Echo', bilingual('You said {{message.text}}', 'Dijiste algo'));
    const res = await owner.post('/api/v1/broadcasts', templateBroadcast('Echo', 'x', templateId));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      {
        code: 'template_unknown_variable',
        path: 'content.templateId',
        message:
          'the template "Echo" uses {{message.text}} in its en text, which a broadcast cannot fill (it knows the contact and the workspace only): edit the template, or write the message here',
      },
    ]);
  });

  it("answers another workspace's template exactly as one that does not exist", async () => {
    const ofB = await createTemplate('B offer', bilingual('B', 'B'), ownerB);
    const borrowed = await owner.post('/api/v1/broadcasts', templateBroadcast('Borrowed', 'x', ofB));
    const missing = await owner.post('/api/v1/broadcasts', templateBroadcast('Borrowed', 'x', '00000000-0000-4000-8000-00000000abcd'));
    expect(borrowed.status).toBe(400);
    expect(borrowed.body.error.details).toEqual([
      {
        code: 'template_not_found',
        path: 'content.templateId',
        message: 'the chosen template does not exist (it may have been deleted): pick another template, or write the message here',
      },
    ]);
    expect(missing.body.error.details).toEqual(borrowed.body.error.details);
  });

  it('fails at its start, with the reason, when its template was edited into one it cannot send', async () => {
    const templateId = await createTemplate('Turns bad', bilingual('Fine {{contact.name}}', 'Bien'));
    await contacts('turns-bad', ['en']);
    const id = await create(
      templateBroadcast('Turns bad', 'turns-bad', templateId, { schedule: { kind: 'at', localTime: '2099-01-01T09:00', timezone: 'UTC' } }),
    );
    await schedule(id);
    await owner.patch(`/api/v1/templates/${templateId}`, { content: bilingual('Your answer: {{vars.answer}}', 'Bien') });
    // Its time comes (a PATCH to "now" would be refused with the same problem): what the delayed start job does then.
    await sql(`update broadcasts set next_run_at = now() where id = :id`, { id });
    const queue = new Queue(BROADCASTS_QUEUE, { connection: api.env.redis, prefix: api.env.config.redisPrefix });
    await queue.add('start', { kind: 'start', broadcastId: id }, { ...BROADCAST_JOB_OPTIONS, jobId: `${startJobId(id, 0)}-due` });
    await queue.close();
    const failed = await waitForBroadcastState(owner, id, 'failed');
    expect(failed.stateReason).toBe(
      'template_unknown_variable: the template "Turns bad" uses {{vars.answer}} in its en text, which a broadcast cannot fill (it knows the contact and the workspace only): edit the template, or write the message here',
    );
    expect(await sent(id)).toEqual(new Map());
  });
});

describe('when a template that something sends is deleted', () => {
  it('refuses while a scheduled broadcast sends it, naming the broadcast, and deletes it once that is cancelled', async () => {
    const templateId = await createTemplate('Weekly tips', bilingual('Tip', 'Consejo'));
    const id = await create(
      templateBroadcast('Tips every Monday', 'tips', templateId, { schedule: { kind: 'recurring', cron: '0 9 * * 1', timezone: 'UTC' } }),
    );
    await schedule(id);
    const refused = await owner.delete(`/api/v1/templates/${templateId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'template_in_use',
      details: { flows: [], broadcasts: [{ id, name: 'Tips every Monday' }], cannedResponses: [] },
    });
    expect(refused.body.error.message).toBe(
      'the template "Weekly tips" is used by the broadcast "Tips every Monday", not finished yet: let it finish or cancel it, then delete the template',
    );
    expect((await owner.post(`/api/v1/broadcasts/${id}/cancel`, {})).status).toBe(200);
    expect((await owner.delete(`/api/v1/templates/${templateId}`)).status).toBe(204);
  });

  it('refuses while a canned response inserts it, naming its shortcut, next to a flow', async () => {
    const templateId = await createTemplate('Returns policy', bilingual('Returns', 'Devoluciones'));
    expect((await owner.post('/api/v1/canned-responses', { shortcut: 'returns', title: 'Returns', templateId })).status).toBe(201);
    const flow = await owner.post('/api/v1/flows', {
      name: 'Returns bot',
      document: doc([keywordTrigger('t', ['returns']), node('s', 'send_message', { templateId })], [edge('t', 'out', 's')]),
    });
    expect((await owner.post(`/api/v1/flows/${flow.body.id}/publish`, {})).status).toBe(201);
    const refused = await owner.delete(`/api/v1/templates/${templateId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'the template "Returns policy" is used by the published version of the flow "Returns bot" and by the canned response "/returns": use another template in it and publish again, or delete that flow; give it a text or another template, or delete it, then delete the template',
    );
  });
});

describe('when a canned response inserts a saved template', () => {
  let templateId: string;
  let cannedId: string;

  beforeAll(async () => {
    templateId = await createTemplate('Order status', {
      fallbackLanguage: 'en',
      variants: [
        { language: 'en', text: 'Hi {{contact.name}}, your {{contact.plan | "free"}} order ships today' },
        { language: 'pt-br', text: 'Olá {{contact.name}}, seu pedido sai hoje', mediaUrl: 'https://cdn.example.com/caixa.jpg' },
      ],
    });
    const created = await owner.post('/api/v1/canned-responses', { shortcut: 'status', title: 'Order status', templateId });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ shortcut: 'status', text: null, template: { id: templateId, name: 'Order status' } });
    cannedId = created.body.id;
  });

  async function conversationWith(name: string, attributes: Record<string, unknown>): Promise<string> {
    phoneSeq += 1;
    const phone = `+1777${String(1_000_000 + phoneSeq)}`;
    await owner.post('/api/v1/contacts', { phone, name, attributes });
    const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: phone, text: 'where is my order?', name });
    expect(res.status).toBe(202);
    return res.body.conversationId;
  }

  it("fills in the contact's language variant for the agent, with the template's current version", async () => {
    const conversationId = await conversationWith('João', { language: 'pt_BR' });
    const rendered = await agent.post(`/api/v1/canned-responses/${cannedId}/render`, { conversationId });
    expect(rendered.status, JSON.stringify(rendered.body)).toBe(200);
    expect(rendered.body).toEqual({
      text: 'Olá João, seu pedido sai hoje',
      mediaUrl: 'https://cdn.example.com/caixa.jpg',
      language: 'pt-br',
      template: { id: templateId, name: 'Order status', version: 1 },
    });
  });

  it('falls back to the fallback language, and follows edits of the template', async () => {
    const conversationId = await conversationWith('Greta', { language: 'de', plan: 'gold' });
    await owner.patch(`/api/v1/templates/${templateId}`, {
      content: { fallbackLanguage: 'en', variants: [{ language: 'en', text: 'Hello {{contact.name}}: your {{contact.plan}} order left' }] },
    });
    const rendered = await agent.post(`/api/v1/canned-responses/${cannedId}/render`, { conversationId });
    expect(rendered.body).toEqual({
      text: 'Hello Greta: your gold order left',
      mediaUrl: null,
      language: 'en',
      template: { id: templateId, name: 'Order status', version: 2 },
    });
  });

  it('lists it with its template, found by the template name too', async () => {
    const list = await agent.get('/api/v1/canned-responses?q=order%20stat');
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: cannedId, text: null, template: { id: templateId, name: 'Order status' } }),
    ]);
  });

  it('turns into a text and back', async () => {
    const text = await owner.patch(`/api/v1/canned-responses/${cannedId}`, { text: 'Your order ships today' });
    expect(text.body).toMatchObject({ text: 'Your order ships today', template: null });
    const back = await owner.patch(`/api/v1/canned-responses/${cannedId}`, { templateId });
    expect(back.body).toMatchObject({ text: null, template: { id: templateId } });
  });

  it('refuses both a text and a template, or neither', async () => {
    const both = await owner.post('/api/v1/canned-responses', { shortcut: 'both', title: 'Both', text: 'x', templateId });
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body)).toContain('write a text or pick a template (one of the two)');
    expect((await owner.post('/api/v1/canned-responses', { shortcut: 'neither', title: 'Neither' })).status).toBe(400);
  });

  it("cannot name another workspace's template (404), on create and on edit", async () => {
    const ofB = await createTemplate('B status', bilingual('B', 'B'), ownerB);
    const created = await owner.post('/api/v1/canned-responses', { shortcut: 'borrowed', title: 'Borrowed', templateId: ofB });
    expect(created.status).toBe(404);
    const edited = await owner.patch(`/api/v1/canned-responses/${cannedId}`, { templateId: ofB });
    expect(edited.status).toBe(404);
    expect((await owner.get(`/api/v1/canned-responses`)).body.items.find((c: any) => c.id === cannedId).template.id).toBe(templateId);
  });
});

describe("when a flow's draft that sends a template is tested", () => {
  it('shows the template as edited, though the draft did not change', async () => {
    const templateId = await createTemplate('Test greeting', bilingual('Test v1', 'Prueba v1'));
    const flow = await owner.post('/api/v1/flows', {
      name: 'Greets in tests',
      document: doc([keywordTrigger('t', ['hey']), node('s', 'send_message', { templateId })], [edge('t', 'out', 's')]),
    });
    const first = await owner.post(`/api/v1/flows/${flow.body.id}/test-chat/messages`, { text: 'hey', target: 'draft' });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const replies = (count: number) =>
      eventually(async () => {
        const rows = await sql<{ text: string }>(
          `select text from messages where conversation_id = :id and direction = 'outbound' order by id`,
          { id: first.body.conversationId },
        );
        return rows.length >= count ? rows.map((r) => r.text) : undefined;
      });
    expect(await replies(1)).toEqual(['Test v1']);
    await owner.patch(`/api/v1/templates/${templateId}`, { content: bilingual('Test v2', 'Prueba v2') });
    const second = await owner.post(`/api/v1/flows/${flow.body.id}/test-chat/messages`, {
      text: 'hey',
      target: 'draft',
      contactId: first.body.contactId,
    });
    expect(second.status).toBe(202);
    expect(await replies(2)).toEqual(['Test v1', 'Test v2']);
    // Two snapshots of the same draft revision, one per template version.
    const snapshots = await sql(`select id from flow_versions where flow_id = :id and test_revision is not null`, { id: flow.body.id });
    expect(snapshots).toHaveLength(2);
  });
});

describe('the version history', () => {
  it('names the published flows that pin each version, and hides the template from another workspace', async () => {
    const templateId = await createTemplate('Pinned', bilingual('Pinned v1', 'Fijado v1'));
    const flow = await owner.post('/api/v1/flows', {
      name: 'Pins v1',
      document: doc([keywordTrigger('t', ['pin']), node('s', 'send_message', { templateId })], [edge('t', 'out', 's')]),
    });
    expect((await owner.post(`/api/v1/flows/${flow.body.id}/publish`, {})).status).toBe(201);
    await owner.patch(`/api/v1/templates/${templateId}`, { content: bilingual('Pinned v2', 'Fijado v2') });
    const versions = (await agent.get(`/api/v1/templates/${templateId}/versions`)).body.items;
    expect(versions.map((v: any) => [v.version, v.flows])).toEqual([
      [2, []],
      [1, [{ id: flow.body.id, name: 'Pins v1', flowVersion: 1, active: expect.any(Boolean) }]],
    ]);
    expect(versions[0].content.variants.map((v: any) => v.text)).toEqual(['Pinned v2', 'Fijado v2']);
    expect((await ownerB.get(`/api/v1/templates/${templateId}/versions`)).status).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('describes a template as broadcast content, a canned response by template, and the version history', async () => {
    const doc = (await api.client.get('/api/openapi.json')).body;
    const broadcastBody = JSON.stringify(doc.paths['/api/v1/broadcasts'].post.requestBody);
    expect(broadcastBody).toContain('"const":"template"');
    expect(broadcastBody).toContain('templateId');
    expect(JSON.stringify(doc.paths['/api/v1/canned-responses'].post.requestBody)).toContain('templateId');
    const render = JSON.stringify(doc.paths['/api/v1/canned-responses/{id}/render'].post.responses['200']);
    expect(render).toContain('mediaUrl');
    const versions = JSON.stringify(doc.paths['/api/v1/templates/{id}/versions'].get.responses['200']);
    expect(versions).toContain('flowVersion');
    expect(versions).toContain('broadcasts');
  });
});
