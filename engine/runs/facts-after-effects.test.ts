import { describe, expect, it } from 'vitest';
import { factsAfterEffects } from './facts-after-effects.ts';
import { runFacts } from './run-context.fixture.ts';

describe("when a step's effects change the contact", () => {
  it('sets attributes and adds or removes tags in a copy, leaving the given facts as they were', () => {
    const facts = runFacts();
    const after = factsAfterEffects(facts, [
      { kind: 'set_attribute', key: 'plan', value: 'gold' },
      { kind: 'add_tag', tag: 'lead' },
      { kind: 'add_tag', tag: 'lead' },
      { kind: 'remove_tag', tag: 'vip' },
    ]);
    expect(after.contact).toMatchObject({ attributes: { plan: 'gold' }, tags: ['lead'] });
    expect(facts.contact).toMatchObject({ attributes: { plan: 'pro' }, tags: ['vip'] });
  });

  it('returns the same facts when no effect concerns the contact, or there is no contact', () => {
    const facts = runFacts();
    expect(factsAfterEffects(facts, [{ kind: 'send', text: 'hi' }, { kind: 'opt_out' }])).toBe(facts);
    const noContact = runFacts({ contact: null });
    expect(factsAfterEffects(noContact, [{ kind: 'add_tag', tag: 'x' }])).toBe(noContact);
  });
});
