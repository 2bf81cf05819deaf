import { describe, expect, it } from 'vitest';
import { describeBroadcast } from './broadcast-summary.tsx';

const base = { content: { kind: 'message', text: 'Hello' }, schedule: { kind: 'now' }, quietHours: null, pacePerMinute: null } as const;
const audienceOf = (audience: unknown) =>
  describeBroadcast({ ...base, audience } as Parameters<typeof describeBroadcast>[0]).find((d) => d.term === 'Audience')!.value;

describe('a broadcast audience in words', () => {
  it('counts pasted phone numbers, one or many', () => {
    expect(audienceOf({ kind: 'phones', phones: ['+15551234567'] })).toBe('1 pasted phone number');
    expect(audienceOf({ kind: 'phones', phones: ['+15551234567', '+15551234568'] })).toBe('2 pasted phone numbers');
  });

  it('says a segment with the builder’s field names, not its JSON', () => {
    const rule = { and: [{ in: ['vip', { var: 'contact.tags' }] }, { '==': [{ var: 'contact.attributes.plan' }, 'pro'] }] };
    const words = audienceOf({ kind: 'segment', rule });
    expect(words).toMatch(/^contacts where Tags .*“vip”.* and the attribute “plan” .*“pro”/);
    expect(words).not.toContain('{');
  });
});
