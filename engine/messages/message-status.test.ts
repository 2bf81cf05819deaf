import { describe, expect, it } from 'vitest';
import { canTransition, statusesBefore } from './message-status.ts';

describe('when an outbound message moves forward', () => {
  it('allows queued → sent → delivered → read', () => {
    expect(canTransition('queued', 'sent')).toBe(true);
    expect(canTransition('sent', 'delivered')).toBe(true);
    expect(canTransition('delivered', 'read')).toBe(true);
  });

  it('allows skipping a status (a read receipt before the delivery receipt)', () => {
    expect(canTransition('sent', 'read')).toBe(true);
    expect(canTransition('queued', 'delivered')).toBe(true);
  });
});

describe('when an update would move a message backward or repeat a status', () => {
  it('refuses it', () => {
    expect(canTransition('delivered', 'sent')).toBe(false);
    expect(canTransition('delivered', 'delivered')).toBe(false);
    expect(canTransition('sent', 'queued')).toBe(false);
  });
});

describe('when a message is in a final status', () => {
  it('never leaves read, failed or received', () => {
    for (const from of ['read', 'failed', 'received'] as const) {
      for (const to of ['queued', 'sent', 'delivered', 'read', 'failed'] as const) expect(canTransition(from, to)).toBe(false);
    }
  });
});

describe('when a message fails', () => {
  it('may fail from any status that is not final', () => {
    expect(canTransition('queued', 'failed')).toBe(true);
    expect(canTransition('sent', 'failed')).toBe(true);
    expect(canTransition('delivered', 'failed')).toBe(true);
  });
});

describe('statusesBefore', () => {
  it('lists the statuses a guarded update may leave from', () => {
    expect(statusesBefore('sent')).toEqual(['queued']);
    expect(statusesBefore('delivered')).toEqual(['queued', 'sent']);
    expect(statusesBefore('read')).toEqual(['queued', 'sent', 'delivered']);
    expect(statusesBefore('failed')).toEqual(['queued', 'sent', 'delivered']);
    expect(statusesBefore('queued')).toEqual([]);
  });
});
