import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportOptionsInput } from '../engine/contacts/contact-import.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { inviteMember } from './support/invite-member.ts';
import { untilWaitingForLock } from './support/lock-wait.ts';

let api: TestApi;
let owner: ApiClient;

async function signup(name: string): Promise<ApiClient> {
  const res = await api.client.post('/api/v1/auth/signup', {
    email: `${name}@example.com`,
    password: `password-${name}`,
    name,
    workspaceName: name,
  });
  expect(res.status).toBe(201);
  return api.client.as(res.body.token);
}

function upload(client: ApiClient, csv: string, options: ImportOptionsInput = {}, fileName = 'people.csv') {
  const query = new URLSearchParams({ options: JSON.stringify(options), fileName });
  return client.request('post', `/api/v1/contacts/imports?${query}`, undefined, { rawBody: csv, headers: { 'content-type': 'text/csv' } });
}

/** Uploads, then waits for the job to finish (checked for a dry run, completed otherwise). */
async function importCsv(client: ApiClient, csv: string, options: ImportOptionsInput = {}) {
  const started = await upload(client, csv, options);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return waitFor(client, started.body.id);
}

function waitFor(client: ApiClient, id: string) {
  return eventually(async () => {
    const res = await client.get(`/api/v1/contacts/imports/${id}`);
    return ['checked', 'completed', 'failed'].includes(res.body.status) ? res.body : undefined;
  }, 30_000);
}

async function contactByPhone(client: ApiClient, phone: string) {
  const res = await client.get(`/api/v1/contacts?phone=${encodeURIComponent(phone)}`);
  expect(res.status).toBe(200);
  return res.body.items[0] ?? null;
}

beforeAll(async () => {
  api = await startTestApi();
  owner = await signup('contacts-owner');
});

afterAll(async () => {
  await api?.close();
});

describe('when a CSV with some bad rows is imported as a dry run, then for real', () => {
  const csv = [
    'Phone,Full name,Plan,Tags',
    '+15550001001,Ada Lovelace,pro,"vip, lead"',
    'not a phone,Bad Phone,free,',
    '+15550001002,Bob,free,lead',
    ',No Phone,free,',
    '+15550001003,Cy,pro,bad!tag',
    '+15550001001,Ada Again,,',
  ].join('\n');

  let dry: any;
  it('reports each bad row with its row number and writes nothing', async () => {
    dry = await importCsv(owner, csv, { dryRun: true, onExisting: 'update' });
    expect(dry).toMatchObject({
      status: 'checked',
      dryRun: true,
      rowsTotal: 6,
      rowsDone: 6,
      created: 2,
      updated: 1,
      skipped: 0,
      failed: 3,
    });
    expect(dry.problems.map((p: any) => [p.row, p.problem])).toEqual([
      [3, expect.stringContaining('“not a phone” is not a phone number')],
      [5, 'no phone number'],
      [6, expect.stringContaining('“bad!tag” cannot be a tag')],
    ]);
    expect(await contactByPhone(owner, '+15550001001')).toBeNull();
  });

  it('imports the good rows when the dry run is started, merging the repeated phone', async () => {
    const started = await owner.post(`/api/v1/contacts/imports/${dry.id}/start`, {});
    expect(started.status).toBe(202);
    const done = await waitFor(owner, dry.id);
    expect(done).toMatchObject({ status: 'completed', dryRun: false, rowsDone: 6, created: 2, updated: 1, failed: 3 });
    const ada = await contactByPhone(owner, '+15550001001');
    // The later row's name wins; its empty cells erase nothing.
    expect(ada).toMatchObject({ name: 'Ada Again', attributes: { plan: 'pro' }, tags: ['vip', 'lead'] });
    expect(await contactByPhone(owner, '+15550001002')).toMatchObject({ name: 'Bob', tags: ['lead'] });
    // A started import cannot be started again.
    expect((await owner.post(`/api/v1/contacts/imports/${dry.id}/start`, {})).status).toBe(409);
  });

  it('offers the bad rows as a CSV report with their original cells', async () => {
    const res = await owner.get(`/api/v1/contacts/imports/${dry.id}/problems.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const rows = parse(res.body as string) as string[][];
    expect(rows[0]).toEqual(['Row', 'Problem', 'Phone', 'Full name', 'Plan', 'Tags']);
    expect(rows.slice(1).map((r) => [r[0], r[2], r[3]])).toEqual([
      ['3', 'not a phone', 'Bad Phone'],
      ['5', '', 'No Phone'],
      ['6', '+15550001003', 'Cy'],
    ]);
  });
});

describe('when an imported phone is already a contact', () => {
  beforeAll(async () => {
    await importCsv(owner, 'phone,name,city\n+15550002001,Dee,Lisbon\n');
  });

  it('leaves the contact as it is with "skip"', async () => {
    const done = await importCsv(owner, 'phone,name,city\n+15550002001,Dee Skipped,Porto\n+15550002002,Eli,Porto\n', {
      onExisting: 'skip',
    });
    expect(done).toMatchObject({ status: 'completed', created: 1, updated: 0, skipped: 1, failed: 0 });
    expect(await contactByPhone(owner, '+15550002001')).toMatchObject({ name: 'Dee', attributes: { city: 'Lisbon' } });
  });

  it('merges the row into the contact with "update", keeping its other attributes and tags', async () => {
    await owner.patch(`/api/v1/contacts/${(await contactByPhone(owner, '+15550002001')).id}`, {
      tags: ['old'],
      attributes: { plan: 'free' },
    });
    const done = await importCsv(owner, 'phone,name,city,tags\n+15550002001,Dee Updated,Porto,new\n', { onExisting: 'update' });
    expect(done).toMatchObject({ status: 'completed', created: 0, updated: 1, skipped: 0 });
    expect(await contactByPhone(owner, '+15550002001')).toMatchObject({
      name: 'Dee Updated',
      attributes: { city: 'Porto', plan: 'free' },
      tags: ['old', 'new'],
    });
  });
});

describe('when local numbers are imported with a default country', () => {
  it('reads them in that country and keeps international ones as they are', async () => {
    const done = await importCsv(owner, 'Celular;Nome\n(11) 98765-4321;Ana\n+44 20 7946 0958;Lee\n12345;Short\n', { defaultCountry: 'br' });
    expect(done).toMatchObject({ status: 'completed', created: 2, failed: 1 });
    expect(done.problems[0]).toMatchObject({ row: 4, problem: expect.stringContaining('not a phone number of BR') });
    expect(await contactByPhone(owner, '+5511987654321')).toMatchObject({ name: 'Ana' });
    expect(await contactByPhone(owner, '+442079460958')).toMatchObject({ name: 'Lee' });
  });

  it('refuses the local numbers without one, saying how to read them', async () => {
    const done = await importCsv(owner, 'phone\n(11) 91234-5678\n');
    expect(done).toMatchObject({ created: 0, failed: 1 });
    expect(done.problems[0].problem).toContain('choose a default country');
  });
});

describe('when the upload cannot be imported', () => {
  it('names the missing column and the columns the file has', async () => {
    const res = await upload(owner, 'Mobile,Name\n+15550003001,X\n', { columns: { phone: 'Phone number' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('the file has no column “Phone number”');
    expect(res.body.error.message).toContain('“Mobile”');
  });

  it('refuses a file without a phone column to guess, an empty file and a JSON body', async () => {
    expect((await upload(owner, 'Name,City\nA,B\n')).status).toBe(400);
    expect((await upload(owner, '')).status).toBe(400);
    expect((await owner.post('/api/v1/contacts/imports', { csv: 'phone\n+15550003002' })).status).toBe(400);
  });

  it('maps columns as told: attribute names and tag columns', async () => {
    const done = await importCsv(owner, 'Tel,Who,Favourite colour,Groups\n+15550003003,Fay,green,a;b\n', {
      columns: { phone: 'Tel', name: 'Who', tags: ['Groups'], attributes: [{ column: 'Favourite colour', attribute: 'colour' }] },
      addTags: ['imported'],
    });
    expect(done).toMatchObject({ status: 'completed', created: 1 });
    expect(await contactByPhone(owner, '+15550003003')).toMatchObject({
      name: 'Fay',
      attributes: { colour: 'green' },
      tags: ['imported', 'a', 'b'],
    });
  });
});

describe('when a workspace searches, sorts, tags and exports its contacts', () => {
  let client: ApiClient;
  beforeAll(async () => {
    client = await signup('contacts-search');
    await importCsv(
      client,
      [
        'phone,name,plan,city,tags',
        '+15550004001,Zoe Quinn,pro,Recife,vip',
        '+15550004002,adam smith,free,Lisbon,lead',
        '+15550004003,Maya,pro,Lisbon,',
        '+15550004004,,free,Oslo,lead',
      ].join('\n'),
    );
  });

  const names = (res: any) => res.body.items.map((c: any) => c.name);

  it('finds contacts by part of a name, a phone, an attribute value or a tag, whatever the case', async () => {
    expect(names(await client.get('/api/v1/contacts?q=SMITH'))).toEqual(['adam smith']);
    expect(names(await client.get(`/api/v1/contacts?q=${encodeURIComponent('555 000 4003')}`))).toEqual(['Maya']);
    expect(names(await client.get('/api/v1/contacts?q=recife'))).toEqual(['Zoe Quinn']);
    expect(names(await client.get('/api/v1/contacts?q=lead&sort=name'))).toEqual(['adam smith', null]);
    expect(names(await client.get('/api/v1/contacts?tag=vip'))).toEqual(['Zoe Quinn']);
    // Nothing of another workspace, and % is not a wildcard.
    expect((await owner.get('/api/v1/contacts?q=recife')).body.items).toEqual([]);
    expect((await client.get('/api/v1/contacts?q=%25')).body.items).toEqual([]);
  });

  it('sorts by name, named contacts first, and pages with a cursor', async () => {
    const first = await client.get('/api/v1/contacts?sort=name&limit=3');
    expect(names(first)).toEqual(['adam smith', 'Maya', 'Zoe Quinn']);
    const second = await client.get(`/api/v1/contacts?sort=name&limit=3&cursor=${first.body.nextCursor}`);
    expect(names(second)).toEqual([null]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('filters by a segment rule, and answers 400 for an invalid one', async () => {
    const rule = { and: [{ '==': [{ var: 'contact.attributes.city' }, 'Lisbon'] }, { '==': [{ var: 'contact.attributes.plan' }, 'pro'] }] };
    expect(names(await client.get(`/api/v1/contacts?segment=${encodeURIComponent(JSON.stringify(rule))}`))).toEqual(['Maya']);
    const bad = await client.get(`/api/v1/contacts?segment=${encodeURIComponent(JSON.stringify({ '==': [{ var: 'contact.nope' }, 1] }))}`);
    expect(bad.status).toBe(400);
  });

  it('filters by the facts a segment computes (opt-in, channels, days since the last message), as a broadcast does', async () => {
    const rule = {
      and: [
        { '==': [{ var: 'contact.optIn' }, 'unknown'] },
        { '!': [{ in: ['no-such-channel', { var: 'contact.channels' }] }] },
        { '>': [{ var: 'contact.daysSinceLastMessage' }, 30] },
        { '==': [{ var: 'contact.attributes.city' }, 'Lisbon'] },
      ],
    };
    const res = await client.get(`/api/v1/contacts?sort=name&segment=${encodeURIComponent(JSON.stringify(rule))}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(names(res)).toEqual(['adam smith', 'Maya']);
  });

  it('tags the selected contacts, then every contact of a filter, and removes a tag', async () => {
    const maya = await contactByPhone(client, '+15550004003');
    const byIds = await client.post('/api/v1/contacts/bulk-tags', {
      action: 'add',
      tags: ['picked'],
      target: { kind: 'ids', ids: [maya.id] },
    });
    expect(byIds.body).toEqual({ changed: 1 });
    const lisbon = { '==': [{ var: 'contact.attributes.city' }, 'Lisbon'] };
    const byFilter = await client.post('/api/v1/contacts/bulk-tags', {
      action: 'add',
      tags: ['picked'],
      target: { kind: 'filter', filter: { segment: lisbon } },
    });
    // Maya had it already: only adam changes.
    expect(byFilter.body).toEqual({ changed: 1 });
    expect(names(await client.get('/api/v1/contacts?tag=picked&sort=name'))).toEqual(['adam smith', 'Maya']);
    const removed = await client.post('/api/v1/contacts/bulk-tags', {
      action: 'remove',
      tags: ['picked'],
      target: { kind: 'filter', filter: { q: 'maya' } },
    });
    expect(removed.body).toEqual({ changed: 1 });
    expect(names(await client.get('/api/v1/contacts?tag=picked'))).toEqual(['adam smith']);
  });

  it('exports the contacts of a filter as CSV, with one column per attribute', async () => {
    const res = await client.get('/api/v1/contacts/export.csv?q=lisbon');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const rows = parse(res.body as string, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.Phone, r.Name, r.city, r.plan]).sort()).toEqual([
      ['+15550004002', 'adam smith', 'Lisbon', 'free'],
      ['+15550004003', 'Maya', 'Lisbon', 'pro'],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['Phone', 'Name', 'Tags', 'Opted out', 'Added', 'Last message', 'city', 'plan']);
  });

  it('reads its own export back as an import that changes nothing with "skip"', async () => {
    const exported = (await client.get('/api/v1/contacts/export.csv')).body as string;
    const done = await importCsv(client, exported, { onExisting: 'skip' });
    expect(done).toMatchObject({ status: 'completed', created: 0, skipped: 4, failed: 0 });
  });

  it('creates a contact from a local number, refuses the same phone twice, and deletes it', async () => {
    const created = await client.post('/api/v1/contacts', {
      phone: '(201) 555-0123',
      defaultCountry: 'US',
      name: 'New Person',
      tags: ['walk-in'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ phone: '+12015550123', name: 'New Person', tags: ['walk-in'] });
    const again = await client.post('/api/v1/contacts', { phone: '+12015550123' });
    expect(again.status).toBe(409);
    expect((await client.delete(`/api/v1/contacts/${created.body.id}`)).status).toBe(204);
    expect(await contactByPhone(client, '+12015550123')).toBeNull();
    expect((await client.delete(`/api/v1/contacts/${created.body.id}`)).status).toBe(404);
  });

  it('lets an agent read contacts but not import, export, tag in bulk, create or delete them', async () => {
    const agent = await inviteMember(client, {
      email: 'contacts-agent@example.com',
      role: 'agent',
      name: 'Agent',
      password: 'password-agent',
    });
    expect((await agent.client.get('/api/v1/contacts?q=maya')).status).toBe(200);
    expect((await upload(agent.client, 'phone\n+15550004009\n')).status).toBe(403);
    expect((await agent.client.get('/api/v1/contacts/export.csv')).status).toBe(403);
    expect(
      (await agent.client.post('/api/v1/contacts/bulk-tags', { action: 'add', tags: ['x'], target: { kind: 'filter', filter: {} } }))
        .status,
    ).toBe(403);
    expect((await agent.client.post('/api/v1/contacts', { phone: '+15550004010' })).status).toBe(403);
    const maya = await contactByPhone(client, '+15550004003');
    expect((await agent.client.delete(`/api/v1/contacts/${maya.id}`)).status).toBe(403);
  });
});

describe('when two requests opt the same contact out at once (a double click)', () => {
  it('records one opt-out in the consent history, judged under the contact lock, and both answer the opted-out contact', async () => {
    const created = await owner.post('/api/v1/contacts', { phone: '+12015550177', name: 'Double Click' });
    expect(created.status).toBe(201);
    const contactId: string = created.body.id;
    const holder = new pg.Client({ connectionString: api.env.config.databaseUrl });
    await holder.connect();
    let both: Promise<{ status: number; body: any }[]>;
    try {
      // Both requests load the contact (not opted out), then wait for its row lock.
      await holder.query('begin');
      await holder.query('select id from contacts where id = $1 for update', [contactId]);
      both = Promise.all([
        owner.patch(`/api/v1/contacts/${contactId}`, { optedOut: true }),
        owner.patch(`/api/v1/contacts/${contactId}`, { optedOut: true }),
      ]);
      // Generous: the route's first requests in a loaded run may take seconds to reach the lock.
      await untilWaitingForLock(holder, 'the two opt-outs waiting for the contact', 2, 30_000);
      await holder.query('commit');
      const answers = await both;
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.body.optedOut)).toEqual([true, true]);
      const { rows } = await holder.query<{ n: number }>(
        `select count(*)::int as n from consent_events where contact_id = $1 and action = 'opt_out'`,
        [contactId],
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      await holder.end();
    }
  });
});
