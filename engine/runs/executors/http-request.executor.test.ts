import { describe, expect, it } from 'vitest';
import { SecretMissingError } from '../../errors/secret-missing.error.ts';
import { HttpRequestConfigSchema } from '../../flows/nodes/http-request.node.ts';
import type { SecretResolver } from '../../ports/secret-resolver.port.ts';
import type { FlowHttpPort, NodeContext } from '../node-executor.ts';
import type { RunFacts } from '../run-types.ts';
import { httpRequestExecutor, secretNamesIn } from './http-request.executor.ts';

const TOKEN = 'sk_live_51HxYzAbCdEfGhIj';
const facts: RunFacts = {
  contact: { id: 'c1', phone: '+15550001111', name: 'Sam', attributes: {}, tags: [] },
  message: null,
  conversation: null,
  trigger: {},
  workspace: { id: 'w1', timezone: 'UTC' },
};

type Sent = Parameters<FlowHttpPort['request']>[0];

function context(answer: (req: Sent) => Promise<Awaited<ReturnType<FlowHttpPort['request']>>>, secrets: Record<string, string>) {
  const sent: Sent[] = [];
  const asked: (readonly string[])[] = [];
  const resolver: SecretResolver = {
    async resolve(names) {
      asked.push(names);
      return new Map(names.filter((n) => n in secrets).map((n) => [n, secrets[n]!]));
    },
  };
  const ctx: NodeContext = {
    nodeId: 'h',
    facts,
    state: { vars: {}, attempts: {} },
    now: new Date(0),
    random: () => 0,
    http: {
      request: (req) => {
        sent.push(req);
        return answer(req);
      },
    },
    secrets: resolver,
    templates: new Map(),
  };
  return { ctx, sent, asked };
}

const config = HttpRequestConfigSchema.parse({
  method: 'POST',
  url: 'https://api.example.com/charge?key={{secrets.STRIPE_KEY}}&phone={{contact.phone}}',
  headers: [{ name: 'Authorization', value: 'Bearer {{secrets.STRIPE_KEY}}' }],
  body: { token: '{{secrets.STRIPE_KEY}}', name: '{{contact.name}}' },
});

describe('when an HTTP request node names a secret', () => {
  it('sends the resolved value in the URL, headers and body, asking for each name once', async () => {
    const { ctx, sent, asked } = context(async () => ({ status: 200, headers: {}, body: { ok: true } }), { STRIPE_KEY: TOKEN });
    const result = await httpRequestExecutor(config, ctx);
    expect(asked).toEqual([['STRIPE_KEY']]);
    expect(sent[0]).toMatchObject({
      url: `https://api.example.com/charge?key=${TOKEN}&phone=%2B15550001111`,
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: { token: TOKEN, name: 'Sam' },
      sameOriginRedirectsOnly: true,
    });
    expect(result.port).toBe('success');
  });

  it('keeps no resolved value in the step output or the run variable, even when the server echoes it', async () => {
    const { ctx } = context(
      async (req) => ({ status: 200, headers: { 'x-echo': req.headers.Authorization! }, body: { received: req.body, url: req.url } }),
      { STRIPE_KEY: TOKEN },
    );
    const result = await httpRequestExecutor(config, ctx);
    const kept = JSON.stringify({ output: result.output, state: result.state });
    expect(kept).not.toContain(TOKEN);
    expect(kept).toContain('[secret STRIPE_KEY]');
    expect(result.state?.vars.response).toMatchObject({
      headers: { 'x-echo': 'Bearer [secret STRIPE_KEY]' },
      body: { received: { token: '[secret STRIPE_KEY]', name: 'Sam' } },
    });
  });

  it('keeps no resolved value in an error that quotes the request', async () => {
    const { ctx } = context(async (req) => Promise.reject(Object.assign(new Error(`refused ${req.url}`), { code: 'address_refused' })), {
      STRIPE_KEY: TOKEN,
    });
    const result = await httpRequestExecutor(config, ctx);
    expect(result.port).toBe('error');
    expect(JSON.stringify({ output: result.output, state: result.state })).not.toContain(TOKEN);
    expect(result.output).toMatchObject({
      error: { code: 'address_refused', message: 'refused https://api.example.com/charge?key=[secret STRIPE_KEY]&phone=%2B15550001111' },
    });
  });

  it('fails the step with SecretMissingError, sending nothing, when the secret no longer exists', async () => {
    const { ctx, sent } = context(async () => ({ status: 200, headers: {}, body: null }), {});
    await expect(httpRequestExecutor(config, ctx)).rejects.toThrow(SecretMissingError);
    await expect(httpRequestExecutor(config, ctx)).rejects.toThrow('the secret "STRIPE_KEY" does not exist in this workspace');
    expect(sent).toEqual([]);
  });

  it('asks the resolver nothing when the node names no secret', async () => {
    const plain = HttpRequestConfigSchema.parse({ url: 'https://api.example.com/x' });
    const { ctx, asked } = context(async () => ({ status: 204, headers: {}, body: null }), {});
    const { ctx: plainCtx, sent } = context(async () => ({ status: 204, headers: {}, body: null }), {});
    await httpRequestExecutor(plain, plainCtx);
    expect(sent[0]?.sameOriginRedirectsOnly).toBeUndefined();
    await httpRequestExecutor(plain, ctx);
    expect(asked).toEqual([]);
    expect(secretNamesIn(config)).toEqual(['STRIPE_KEY']);
  });
});
