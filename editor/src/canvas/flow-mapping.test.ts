import { describe, expect, it } from 'vitest';
import { NODE_CATALOG } from '../../../engine/flows/node-catalog.ts';
import { portsOf } from './flow-mapping.ts';

describe('the ports of a node on the canvas', () => {
  it('follows the config of a kind whose ports are built from it (a switch: one port per case, then Default)', () => {
    const config = {
      cases: [
        { id: 'yes', label: 'Yes', rule: { '==': [1, 1] } },
        { id: 'no', label: 'No', rule: { '==': [1, 2] } },
      ],
    };
    expect(portsOf('switch', config).map((p) => p.id)).toEqual(['yes', 'no', 'default']);
  });

  it("keeps the default config's ports while the config does not parse, so that the user can keep drawing", () => {
    expect(portsOf('switch', { cases: 'not a list' }).map((p) => p.id)).toEqual(['case-1', 'default']);
  });

  it('gives a kind whose ports never depend on its config the same ports for any config, valid or not', () => {
    const valid = portsOf('send_message', { text: 'hello' });
    expect(valid.map((p) => p.id)).toEqual(['out']);
    expect(portsOf('send_message', { text: 42 })).toEqual(valid);
    expect(portsOf('condition', {}).map((p) => p.id)).toEqual(['true', 'false']);
  });

  it('gives every kind of the catalog the ports of its own outputs() for a config that parses', () => {
    // Some defaults are deliberately unfinished (an empty message text): those are left out.
    const complete = NODE_CATALOG.filter((d) => d.configSchema.safeParse(d.defaultConfig).success);
    expect(complete.length).toBeGreaterThan(10);
    for (const definition of complete) {
      const parsed = definition.configSchema.parse(definition.defaultConfig) as never;
      expect(portsOf(definition.type, structuredClone(definition.defaultConfig)), definition.type).toEqual(definition.outputs(parsed));
    }
  });
});
