import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseWaMessage } from './inbound-normaliser.ts';
import { normaliseWaUpdate } from './update-normaliser.ts';
import { garbledUpdate, garbledUpsert, PROPERTY_CTX as ctx } from './wa-events.arbitrary.ts';

describe('the WhatsApp event normalisers on random and truncated events', () => {
  it('give every upserted item a result, never an exception', () => {
    fc.assert(
      fc.property(garbledUpsert(), (msg) => {
        const result = normaliseWaMessage(msg as never, ctx);
        expect(['ignored', 'message', 'owner_message', 'edit', 'delete', 'reaction', 'poll_vote']).toContain(result.kind);
      }),
      { numRuns: 2_000 },
    );
  });

  it('give every update item its changes or a skip with a reason, never an exception', () => {
    fc.assert(
      fc.property(garbledUpdate(), fc.boolean(), (item, groupsEnabled) => {
        const result = normaliseWaUpdate(item, { groupsEnabled });
        if (result.kind === 'skipped') expect(result.reason.length).toBeGreaterThan(0);
        else expect(Array.isArray(result.changes)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
