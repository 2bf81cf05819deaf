import { describe, expect, it } from 'vitest';
import { findNodeDefinition, isNodeType, NODE_CATALOG } from './node-catalog.ts';

describe('when the editor reads the catalog', () => {
  it('declares each node type once', () => {
    const types = NODE_CATALOG.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
  });

  it('lists the first set of node kinds from the issue', () => {
    expect(NODE_CATALOG.map((d) => d.type)).toEqual([
      'message_received',
      'schedule',
      'inbound_webhook',
      'condition',
      'switch',
      'ab_split',
      'delay',
      'wait_for_reply',
      'business_hours',
      'send_message',
      'ask_question',
      'set_contact_attribute',
      'add_tag',
      'remove_tag',
      'http_request',
      'hand_off',
      'opt_out',
      'opt_in',
      'start_flow',
      'end',
    ]);
  });

  it('gives every kind a default config that passes its schema, except start_flow which needs a flow picked', () => {
    const failing = NODE_CATALOG.filter(
      (d) => !(d.configSchema as { safeParse(v: unknown): { success: boolean } }).safeParse(d.defaultConfig).success,
    ).map((d) => d.type);
    expect(failing).toEqual(['start_flow']);
  });

  it('marks exactly delay, wait for reply and ask question as waiting', () => {
    expect(NODE_CATALOG.filter((d) => d.waits).map((d) => d.type)).toEqual(['delay', 'wait_for_reply', 'ask_question']);
  });
});

describe('when ports depend on the config', () => {
  it('gives a switch one port per case, in order, then default', () => {
    const definition = findNodeDefinition('switch');
    const config = definition?.configSchema.parse({
      cases: [
        { id: 'b', label: 'B', rule: true },
        { id: 'a', label: 'A', rule: false },
      ],
    });
    expect(definition?.outputs(config).map((p) => p.id)).toEqual(['b', 'a', 'default']);
  });

  it('refuses a switch case named like the default port', () => {
    expect(findNodeDefinition('switch')?.configSchema.safeParse({ cases: [{ id: 'default', label: 'D', rule: true }] }).success).toBe(
      false,
    );
  });

  it('gives an A/B split one port per branch', () => {
    const definition = findNodeDefinition('ab_split');
    const config = definition?.configSchema.parse({
      branches: [
        { id: 'x', label: 'X', weight: 1 },
        { id: 'y', label: 'Y', weight: 3 },
      ],
    });
    expect(definition?.outputs(config).map((p) => p.id)).toEqual(['x', 'y']);
  });

  it('adds a timeout port to ask question only when it has a timeout', () => {
    const definition = findNodeDefinition('ask_question');
    const base = { prompt: 'Name?', storeAs: { target: 'variable', name: 'name' } };
    expect(definition?.outputs(definition.configSchema.parse(base)).map((p) => p.id)).toEqual(['answered', 'invalid']);
    expect(definition?.outputs(definition.configSchema.parse({ ...base, timeout: { amount: 1, unit: 'hours' } })).map((p) => p.id)).toEqual(
      ['answered', 'invalid', 'timeout'],
    );
  });

  it('gives terminal actions no ports', () => {
    for (const type of ['hand_off', 'opt_out', 'start_flow', 'end']) expect(findNodeDefinition(type)?.outputs({} as never)).toEqual([]);
  });
});

describe('when a config breaks a node rule', () => {
  it('refuses an HTTP timeout above 10 s, a GET with a body, and a Host header', () => {
    const schema = findNodeDefinition('http_request')?.configSchema;
    expect(schema?.safeParse({ url: 'https://a.example', timeoutMs: 10_001 }).success).toBe(false);
    expect(schema?.safeParse({ url: 'https://a.example', body: { a: 1 } }).success).toBe(false);
    expect(schema?.safeParse({ url: 'https://a.example', headers: [{ name: 'Host', value: 'internal' }] }).success).toBe(false);
    expect(schema?.safeParse({ url: '{{vars.url}}' }).success).toBe(false);
  });

  it('refuses a delay longer than 30 days, an unknown time zone and a bad cron', () => {
    expect(findNodeDefinition('delay')?.configSchema.safeParse({ mode: 'duration', duration: { amount: 31, unit: 'days' } }).success).toBe(
      false,
    );
    expect(
      findNodeDefinition('delay')?.configSchema.safeParse({ mode: 'until_time', time: '09:00', timezone: 'Mars/Olympus' }).success,
    ).toBe(false);
    expect(findNodeDefinition('schedule')?.configSchema.safeParse({ cron: '61 * * * *' }).success).toBe(false);
  });

  it('refuses unknown config keys, so that a typo is reported rather than dropped', () => {
    expect(findNodeDefinition('add_tag')?.configSchema.safeParse({ tag: 'x', tga: 'y' }).success).toBe(false);
  });

  it('refuses a contact attribute key that would reach a prototype', () => {
    expect(findNodeDefinition('set_contact_attribute')?.configSchema.safeParse({ key: '__proto__', value: 'x' }).success).toBe(false);
  });

  it('refuses business hours that close before they open', () => {
    expect(
      findNodeDefinition('business_hours')?.configSchema.safeParse({ hours: { monday: [{ from: '17:00', to: '09:00' }] } }).success,
    ).toBe(false);
  });
});

describe('when a type is looked up', () => {
  it('knows catalog types and nothing else', () => {
    expect(isNodeType('delay')).toBe(true);
    expect(isNodeType('toString')).toBe(false);
    expect(findNodeDefinition('__proto__')).toBeUndefined();
  });
});
