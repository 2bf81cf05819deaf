import type { Effect, RunFacts } from './run-types.ts';

/**
 * The facts as later steps of the same advance see them once a step's `effects` are applied to
 * the contact (attributes and tags). In memory only: the runtime writes the effects to the
 * database itself (platform/automation/apply-effects.ts).
 */
export function factsAfterEffects(facts: RunFacts, effects: readonly Effect[]): RunFacts {
  if (!facts.contact || effects.length === 0) return facts;
  let contact = facts.contact;
  for (const effect of effects) {
    if (effect.kind === 'set_attribute') contact = { ...contact, attributes: { ...contact.attributes, [effect.key]: effect.value } };
    else if (effect.kind === 'add_tag' && !contact.tags.includes(effect.tag)) contact = { ...contact, tags: [...contact.tags, effect.tag] };
    else if (effect.kind === 'remove_tag') contact = { ...contact, tags: contact.tags.filter((t) => t !== effect.tag) };
  }
  return contact === facts.contact ? facts : { ...facts, contact };
}
