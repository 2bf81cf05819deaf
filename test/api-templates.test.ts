import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { testSql } from './support/test-sql.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { eventually } from './support/eventually.ts';

let api: TestApi;
let owner: ApiClient;
let marketer: ApiClient;
let agent: ApiClient;
let ownerB: ApiClient;
let channelId: string;

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

async function createTemplate(name: string, content: unknown): Promise<string> {
  const res = await owner.post('/api/v1/templates', { name, content });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** "<keyword>" → the template, from a node labelled "Welcome". */
function templateFlow(keyword: string, templateId: string): unknown {
  return doc([keywordTrigger('t', [keyword]), { ...node('s', 'send_message', { templateId }), label: 'Welcome' }], [edge('t', 'out', 's')]);
}

async function publishFlow(name: string, document: unknown): Promise<string> {
  const created = await owner.post('/api/v1/flows', { name, document });
  expect(created.status).toBe(201);
  const published = await owner.post(`/api/v1/flows/${created.body.id}/publish`, {});
  expect(published.status, JSON.stringify(published.body)).toBe(201);
  return created.body.id;
}

let phoneSeq = 0;
/** A contact says `text` on the sandbox channel; returns the bot's reply. */
async function replyTo(text: string, contact: { phone?: string; name: string }): Promise<string> {
  phoneSeq += 1;
  const from = contact.phone ?? `+1555${String(8_000_000 + phoneSeq)}`;
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text, name: contact.name });
  expect(res.status).toBe(202);
  return eventually(
    async () =>
      (
        await sql<{ text: string }>(`select text from messages where conversation_id = :id and direction = 'outbound' order by id desc`, {
          id: res.body.conversationId,
        })
      )[0]?.text,
  );
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'templates-owner@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Templates',
  });
  owner = api.client.as(signup.body.token);
  marketer = api.client.as((await owner.post('/api/v1/api-keys', { name: 'marketing', role: 'marketer' })).body.secret);
  agent = api.client.as((await owner.post('/api/v1/api-keys', { name: 'support', role: 'agent' })).body.secret);
  ownerB = api.client.as(
    (
      await api.client.post('/api/v1/auth/signup', {
        email: 'templates-b@example.com',
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

describe('when a marketer creates and edits a template', () => {
  let id: string;

  it('creates version 1 with its variants, languages normalised', async () => {
    const res = await marketer.post('/api/v1/templates', {
      name: 'Order shipped',
      content: {
        fallbackLanguage: 'en',
        variants: [
          { language: 'en', text: 'Shipped, {{contact.name}}' },
          { language: 'pt_BR', text: 'Enviado, {{contact.name}}', mediaUrl: 'https://cdn.example.com/box.jpg' },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Order shipped',
      version: 1,
      content: {
        fallbackLanguage: 'en',
        variants: [{ language: 'en' }, { language: 'pt-br', mediaUrl: 'https://cdn.example.com/box.jpg' }],
      },
    });
    id = res.body.id;
    expect((await owner.get('/api/v1/templates')).body.items.map((t: { id: string }) => t.id)).toEqual([id]);
  });

  it('makes a new immutable version at every edit and keeps the old ones', async () => {
    const edited = await marketer.patch(`/api/v1/templates/${id}`, {
      content: bilingual('Your order is on its way, {{contact.name}}', 'Tu pedido está en camino, {{contact.name}}'),
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      version: 2,
      content: { variants: [{ language: 'en', text: 'Your order is on its way, {{contact.name}}' }, { language: 'es' }] },
    });
    const renamed = await marketer.patch(`/api/v1/templates/${id}`, { name: 'Order on its way' });
    expect(renamed.body).toMatchObject({ name: 'Order on its way', version: 3 });
    const versions = await owner.get(`/api/v1/templates/${id}/versions`);
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(versions.body.items[2].content.variants[0].text).toBe('Shipped, {{contact.name}}');
  });

  it('refuses a name taken by another template, a fallback without its variant, and a placeholder that does not parse', async () => {
    await createTemplate('Taken name', bilingual('a', 'b'));
    const taken = await owner.post('/api/v1/templates', { name: 'taken NAME', content: bilingual('a', 'b') });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toBe('a template named "taken NAME" exists already: pick another name');
    const noFallback = await owner.post('/api/v1/templates', {
      name: 'X',
      content: { fallbackLanguage: 'fr', variants: [{ language: 'en', text: 'Hi' }] },
    });
    expect(noFallback.status).toBe(400);
    expect(JSON.stringify(noFallback.body)).toContain('the fallback language \\"fr\\" has no variant');
    const broken = await owner.post('/api/v1/templates', {
      name: 'Y',
      content: { fallbackLanguage: 'en', variants: [{ language: 'en', text: 'Hi {{contact.name' }] },
    });
    expect(broken.status).toBe(400);
  });

  it('lets an agent read and preview templates but not write them', async () => {
    expect((await agent.get('/api/v1/templates')).status).toBe(200);
    expect((await agent.post(`/api/v1/templates/${id}/preview`, {})).status).toBe(200);
    expect((await agent.post('/api/v1/templates', { name: 'Mine', content: bilingual('a', 'b') })).status).toBe(403);
    expect((await agent.patch(`/api/v1/templates/${id}`, { name: 'Mine' })).status).toBe(403);
    expect((await agent.delete(`/api/v1/templates/${id}`)).status).toBe(403);
  });

  it('is invisible to another workspace', async () => {
    expect((await ownerB.get(`/api/v1/templates/${id}`)).status).toBe(404);
    expect((await ownerB.get('/api/v1/templates')).body.items).toEqual([]);
  });
});

describe('when a template is previewed', () => {
  let id: string;
  beforeAll(async () => {
    id = await createTemplate('Preview me', {
      fallbackLanguage: 'en',
      variants: [
        { language: 'en', text: 'Hi {{contact.name}} ({{contact.plan | "free"}}) at {{workspace.name}}' },
        { language: 'es', text: 'Hola {{contact.name}}', mediaUrl: 'https://cdn.example.com/{{contact.name}}.png' },
      ],
    });
  });

  it('renders with a sample contact when none is named', async () => {
    const res = await owner.post(`/api/v1/templates/${id}/preview`, {});
    expect(res.body).toEqual({
      language: 'en',
      text: 'Hi Alex Sample (free) at Templates',
      mediaUrl: null,
      contact: { id: null, name: 'Alex Sample', sample: true },
    });
  });

  it("renders a contact's variant by its language attribute, and the language asked for instead", async () => {
    const contact = await owner.post('/api/v1/contacts', {
      phone: '+15557001001',
      name: 'Lucía',
      attributes: { language: 'es-AR', plan: 'pro' },
    });
    const res = await owner.post(`/api/v1/templates/${id}/preview`, { contactId: contact.body.id });
    expect(res.body).toEqual({
      language: 'es',
      text: 'Hola Lucía',
      mediaUrl: 'https://cdn.example.com/Luc%C3%ADa.png',
      contact: { id: contact.body.id, name: 'Lucía', sample: false },
    });
    const english = await owner.post(`/api/v1/templates/${id}/preview`, { contactId: contact.body.id, language: 'en' });
    expect(english.body.text).toBe('Hi Lucía (pro) at Templates');
  });

  it('falls back to the fallback language for a language without a variant', async () => {
    expect((await owner.post(`/api/v1/templates/${id}/preview`, { language: 'de' })).body).toMatchObject({
      language: 'en',
      text: 'Hi Alex Sample (free) at Templates',
    });
  });

  it("refuses another workspace's contact", async () => {
    const other = await ownerB.post('/api/v1/contacts', { phone: '+15557001002', name: 'Other' });
    expect((await owner.post(`/api/v1/templates/${id}/preview`, { contactId: other.body.id })).status).toBe(404);
  });
});

describe('when a published flow sends a template', () => {
  let templateId: string;
  let flowId: string;

  beforeAll(async () => {
    templateId = await createTemplate('Greeting', bilingual('Hello {{contact.name}}, v1', 'Hola {{contact.name}}, v1'));
    flowId = await publishFlow('Greets', templateFlow('hello', templateId));
  });

  it('pins the template version current at publish time in the flow version', async () => {
    const template = await owner.get(`/api/v1/templates/${templateId}`);
    const version = await owner.get(`/api/v1/flows/${flowId}/versions/1`);
    expect(version.body.templateVersions).toEqual({ [templateId]: template.body.versionId });
  });

  it("sends the variant of the contact's language, falling back when there is none", async () => {
    await owner.post('/api/v1/contacts', { phone: '+15557002001', name: 'Marta', attributes: { language: 'es' } });
    expect(await replyTo('hello', { phone: '+15557002001', name: 'Marta' })).toBe('Hola Marta, v1');
    await owner.post('/api/v1/contacts', { phone: '+15557002002', name: 'Hans', attributes: { language: 'de' } });
    expect(await replyTo('hello', { phone: '+15557002002', name: 'Hans' })).toBe('Hello Hans, v1');
  });

  it('keeps sending the pinned version after the template is edited, and the new one once published again', async () => {
    expect(
      (
        await owner.patch(`/api/v1/templates/${templateId}`, {
          content: bilingual('Hello {{contact.name}}, v2', 'Hola {{contact.name}}, v2'),
        })
      ).status,
    ).toBe(200);
    expect(await replyTo('hello', { name: 'Pinned' })).toBe('Hello Pinned, v1');
    expect((await owner.post(`/api/v1/flows/${flowId}/publish`, {})).status).toBe(201);
    expect(await replyTo('hello', { name: 'Republished' })).toBe('Hello Republished, v2');
  });

  it('refuses to delete the template, naming the flow', async () => {
    const res = await owner.delete(`/api/v1/templates/${templateId}`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'template_in_use', details: { flows: [{ id: flowId, name: 'Greets' }] } });
    expect(res.body.error.message).toBe(
      'the template "Greeting" is used by the published version of the flow "Greets": use another template in it and publish again, or delete that flow, then delete the template',
    );
  });

  it('deletes it once no published flow sends it, and the draft that still names it shows the problem by node label', async () => {
    const other = await createTemplate('Other greeting', bilingual('Hi', 'Hola'));
    const flow = await owner.get(`/api/v1/flows/${flowId}`);
    const switched = await owner.patch(`/api/v1/flows/${flowId}`, {
      document: templateFlow('hello', other),
      baseRevision: flow.body.draftRevision,
    });
    expect(switched.status).toBe(200);
    expect((await owner.post(`/api/v1/flows/${flowId}/publish`, {})).status).toBe(201);
    const draftOnly = await owner.post('/api/v1/flows', { name: 'Draft only', document: templateFlow('draft', templateId) });
    expect((await owner.delete(`/api/v1/templates/${templateId}`)).status).toBe(204);
    expect((await owner.get(`/api/v1/templates/${templateId}`)).status).toBe(404);
    const draft = await owner.get(`/api/v1/flows/${draftOnly.body.id}`);
    expect(draft.body.problems).toEqual([
      expect.objectContaining({
        code: 'template_missing',
        nodeId: 's',
        message: '"Welcome" sends a saved template that no longer exists: pick another template, or write the message in the node',
      }),
    ]);
    const publish = await owner.post(`/api/v1/flows/${draftOnly.body.id}/publish`, {});
    expect(publish.status).toBe(400);
    expect(publish.body.error.details).toEqual([expect.objectContaining({ code: 'template_missing' })]);
  });

  it("refuses to publish a flow naming another workspace's template", async () => {
    const ofB = await ownerB.post('/api/v1/templates', { name: 'B template', content: bilingual('B', 'B') });
    const created = await owner.post('/api/v1/flows', { name: 'Borrower', document: templateFlow('borrow', ofB.body.id) });
    const publish = await owner.post(`/api/v1/flows/${created.body.id}/publish`, {});
    expect(publish.status).toBe(400);
    expect(publish.body.error.details).toEqual([expect.objectContaining({ code: 'template_missing', nodeId: 's' })]);
  });
});
