import { describe, expect, it } from 'vitest';
import { routeByRules, type RoutingFacts } from './routing-rules.ts';

const facts: RoutingFacts = {
  contact: { name: 'Ana', phone: '+15550001', attributes: { plan: 'gold' }, tags: ['vip'] },
  channel: { id: 'c1', kind: 'sandbox' },
  message: { text: 'my invoice is wrong', type: 'text' },
};

describe('routing rules', () => {
  it('picks the first rule in order whose condition holds', () => {
    const rules = [
      { id: 'r1', teamId: 'sales', condition: { '==': [{ var: 'contact.attributes.plan' }, 'silver'] } },
      { id: 'r2', teamId: 'billing', condition: { in: ['invoice', { var: 'message.text' }] } },
      { id: 'r3', teamId: 'vip', condition: { in: ['vip', { var: 'contact.tags' }] } },
    ];
    expect(routeByRules(rules, facts)?.teamId).toBe('billing');
  });

  it('matches nothing when no condition holds, and skips a rule that cannot be evaluated', () => {
    const rules = [
      { id: 'bad', teamId: 'x', condition: { eval: ['process.exit()'] } },
      { id: 'r1', teamId: 'sales', condition: { '==': [{ var: 'channel.kind' }, 'whatsapp'] } },
    ];
    expect(routeByRules(rules, facts)).toBeNull();
  });
});
