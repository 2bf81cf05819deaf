import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTACT_SEARCH_TEXT_SQL_BODY } from '../migrations/Migration20261209030000_contact_search_text_without_executor.ts';
import { listContacts } from '../platform/contacts/contact-list.sql.ts';
import { upsertContacts } from '../platform/contacts/contact-upsert.sql.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * contact_search_text, the expression of the trigram index contacts_search, was rewritten in
 * migration 20261209030000 (no sub-select: no executor started per contact written). The index was
 * not rebuilt, so the new body must give exactly the text of the old one for every input.
 */

let env: TestEnv;
const sql = <R = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}) =>
  testSql<R>(env.orm.em.fork(), text, bindings);

const ATTRIBUTES: unknown[] = [
  {},
  { plan: 'pro', city: 'Lisbon' },
  { a: null },
  { a: '' },
  { a: '', b: null, c: 'Zé' },
  { note: 'Say "HI"', path: 'x\\y', tab: 'a\tb' },
  { n: 1.5, t: true, f: false, z: 0 },
  { list: [1, { b: '"q' }], n: 2 },
  { nested: { deep: [[1]] } },
  [1, 2],
  's',
  null,
];
const TAGS: (string[] | null)[] = [[], ['vip', 'a b'], null];

beforeAll(async () => {
  env = await createTestEnv();
  await sql(CONTACT_SEARCH_TEXT_SQL_BODY.replace('function contact_search_text(', 'function old_contact_search_text('));
});

afterAll(async () => {
  await env?.cleanup();
});

describe('when the search text of a contact is computed', () => {
  it('is the text the sub-select of migration 20261208040000 gave, for every kind of attribute value', async () => {
    let compared = 0;
    for (const attributes of ATTRIBUTES) {
      for (const tags of TAGS) {
        for (const name of ['Ana Souza', null]) {
          const { rows } = await sql<{ old: string | null; now: string | null }>(
            `select old_contact_search_text(:name, :phone, cast(:tags as text[]), cast(:attributes as jsonb)) as old,
                    contact_search_text(:name, :phone, cast(:tags as text[]), cast(:attributes as jsonb)) as now`,
            { name, phone: '+15550001001', tags, attributes: attributes === null ? null : JSON.stringify(attributes) },
          );
          expect(rows[0]!.now, JSON.stringify({ name, tags, attributes })).toBe(rows[0]!.old);
          compared += 1;
        }
      }
    }
    expect(compared).toBe(ATTRIBUTES.length * TAGS.length * 2);
  });

  it('finds contacts by attribute value, name, phone and tag through the trigram index', async () => {
    const workspaceId = newId();
    await sql(`insert into workspaces (id, name) values (:workspaceId, 'Search text')`, { workspaceId });
    await upsertContacts(env.orm.em.fork(), {
      workspaceId,
      mode: 'update',
      now: new Date(),
      rows: [
        { phone: '+15550002001', name: 'Ada Lovelace', attributes: { city: 'Recife', note: 'Say "HI"' }, tags: ['vip'] },
        { phone: '+15550002002', name: 'Bob', attributes: { city: 'Oslo' }, tags: ['lead'] },
      ],
    });
    const em = env.orm.em.fork();
    const found = async (q: string) => {
      // The index, not a scan: the table is too small for the planner to choose it on its own.
      return em.transactional(async (tx) => {
        await runSql(tx, `set local enable_seqscan = off`);
        const { items } = await listContacts(tx, { workspaceId, filter: { q }, sort: 'name', cursor: null, limit: 10 });
        return items.map((c) => c.name);
      });
    };
    expect(await found('recife')).toEqual(['Ada Lovelace']);
    expect(await found('say "hi"')).toEqual(['Ada Lovelace']);
    expect(await found('lovelace')).toEqual(['Ada Lovelace']);
    expect(await found('0002002')).toEqual(['Bob']);
    expect(await found('lead')).toEqual(['Bob']);
    expect(await found('oslo lead')).toEqual([]);
  });
});
