import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookInboundSchema } from '../connectors/webhook/channel-payloads.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../connectors/webhook/webhook-signature.ts';
import { testSql } from './support/test-sql.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { fromZod, mutated } from './support/fuzz-arbitraries.ts';

// Random and mutated bodies and signatures at a webhook channel's inbound route
// (POST /hooks/channels/:id): never a 5xx; a request whose signature is not the channel's is
// always refused with 401 and stores nothing; a signed one is stored or refused with a code.
// FUZZ_RUNS scales the number of cases.

const SCALE = Number(process.env.FUZZ_RUNS ?? 20) / 20;
const BODY_RUNS = Math.round(150 * SCALE);
const SIGNATURE_RUNS = Math.round(150 * SCALE);

let api: TestApi;
let client: ApiClient;
let channelId: string;
let secret: string;
const counts = { bodies: 0, signatures: 0, stored: 0 };

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'hookfuzz@example.com',
    password: 'a long password',
    name: 'Hook',
    workspaceName: 'Hook fuzz',
  });
  client = api.client.as(signup.body.token);
  const created = await client.post('/api/v1/channels', { kind: 'webhook', name: 'Fuzzed service', url: 'https://example.com/inbox' });
  channelId = created.body.id;
  secret = created.body.webhookSecret;
});

afterAll(async () => {
  console.info(
    `[fuzz webhook channel] ${counts.bodies} signed bodies (${counts.stored} stored), ${counts.signatures} forged or broken signatures, none answered 5xx`,
  );
  await api?.close();
});

const post = (raw: string, headers: Record<string, string>) =>
  client.request('post', `/hooks/channels/${channelId}`, undefined, { rawBody: raw, headers });
const hex = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength });
const now = () => Math.floor(Date.now() / 1000);
const validMessage = fc.record({
  event: fc.constant('message'),
  id: fc.string({ minLength: 1, maxLength: 20 }),
  from: fc.record({
    id: fc.string({ minLength: 1, maxLength: 10 }),
    phone: fc.constantFrom('+15551230001', '+15551230002', '0612', ''),
    name: fc.string({ maxLength: 20 }),
  }),
  text: fc.string({ maxLength: 200 }),
});
const bodies = fc.oneof(
  fromZod(WebhookInboundSchema),
  mutated(fromZod(WebhookInboundSchema)),
  validMessage,
  mutated(validMessage),
  fc.jsonValue({ maxDepth: 4 }),
);
const rawBodies = fc.oneof(
  bodies.map((b) => JSON.stringify(b) ?? 'null'),
  fc.string({ maxLength: 300 }),
  fc.constant(''),
  fc.constant('{"event":"message"'),
);

describe('a webhook channel with random and mutated input', () => {
  it(`stores or refuses every correctly signed body with a code, never a 5xx (${BODY_RUNS} cases)`, { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(rawBodies, async (raw) => {
        counts.bodies += 1;
        const ts = now();
        const res = await post(raw, {
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signWebhook(secret, ts, raw),
          'content-type': 'application/json',
        });
        expect(res.status, `${raw.slice(0, 300)} → ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeLessThan(500);
        expect(res.status).not.toBe(401);
        if (res.status >= 400) expect(res.body?.error?.code).toMatch(/^[a-z_]+$/);
        else counts.stored += 1;
      }),
      { numRuns: BODY_RUNS },
    );
  });

  it(
    `refuses every forged, stale or garbled signature with 401 and stores nothing (${SIGNATURE_RUNS} cases)`,
    { timeout: 240_000 },
    async () => {
      const signature = fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.constant(''),
        hex(64, 64).map((h) => `sha256=${h}`),
        // Signed with another secret, or over other bytes, or for another time.
        fc.tuple(hex(1, 64), fc.string()).map(([other, raw]) => signWebhook(other, now(), raw)),
      );
      const timestamp = fc.oneof(
        fc.constant(String(now())),
        fc.integer({ min: -1e12, max: 1e13 }).map(String),
        fc.string({ maxLength: 15 }),
        fc.constant(String(now() - 301)),
        fc.constant(''),
      );
      await fc.assert(
        fc.asyncProperty(bodies, signature, timestamp, fc.boolean(), async (body, sig, ts, tamper) => {
          counts.signatures += 1;
          const raw = JSON.stringify(body) ?? 'null';
          // Half the cases: a genuine signature over the body, then one byte of the body changed.
          const headers: Record<string, string> = tamper
            ? { [TIMESTAMP_HEADER]: String(now()), [SIGNATURE_HEADER]: signWebhook(secret, now(), raw) }
            : { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: sig };
          const sent = tamper ? `${raw} ` : raw;
          if (!tamper && sig === signWebhook(secret, Number(ts), raw)) return; // a forged signature that is genuine: impossible in practice
          const before = await storedMessages();
          const res = await post(sent, { ...headers, 'content-type': 'application/json' });
          expect(res.status, `${JSON.stringify(headers)} ${sent.slice(0, 200)} → ${JSON.stringify(res.body)}`).toBe(401);
          expect(res.body.error.code).toMatch(/^(missing_signature|bad_timestamp|stale_timestamp|bad_signature)$/);
          expect(await storedMessages()).toBe(before);
        }),
        { numRuns: SIGNATURE_RUNS },
      );
    },
  );
});

async function storedMessages(): Promise<number> {
  const { rows } = await testSql<{ n: number }>(
    api.env.orm.em.fork(),
    `select count(*)::int as n from messages where channel_id = :channelId`,
    { channelId },
  );
  return rows[0]!.n;
}
