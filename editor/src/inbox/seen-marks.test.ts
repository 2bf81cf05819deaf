import { describe, expect, it } from 'vitest';
import { SeenMarks } from './seen-marks.ts';

function memoryStorage() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe('unread marks of the inbox', () => {
  it('counts a conversation never opened here as unread, and as read once opened', () => {
    const marks = new SeenMarks(memoryStorage());
    const c = { id: 'a', lastMessageAt: '2026-12-06T10:00:00.000Z' };
    expect(marks.isUnread(c)).toBe(true);
    marks.markSeen('a', new Date('2026-12-06T10:00:05.000Z'));
    expect(marks.isUnread(c)).toBe(false);
  });

  it('counts it unread again when a message arrives after it was last open', () => {
    const marks = new SeenMarks(memoryStorage());
    marks.markSeen('a', new Date('2026-12-06T10:00:00.000Z'));
    expect(marks.isUnread({ id: 'a', lastMessageAt: '2026-12-06T10:01:00.000Z' })).toBe(true);
  });

  it('keeps the marks across page loads, and never moves a mark back in time', () => {
    const storage = memoryStorage();
    const first = new SeenMarks(storage);
    first.markSeen('a', new Date('2026-12-06T10:05:00.000Z'));
    first.markSeen('a', new Date('2026-12-06T10:00:00.000Z'));
    const reloaded = new SeenMarks(storage);
    expect(reloaded.isUnread({ id: 'a', lastMessageAt: '2026-12-06T10:04:00.000Z' })).toBe(false);
  });

  it('tells its listeners when a mark changes', () => {
    const marks = new SeenMarks(null);
    let calls = 0;
    const stop = marks.subscribe(() => calls++);
    marks.markSeen('a', new Date());
    stop();
    marks.markSeen('b', new Date());
    expect(calls).toBe(1);
  });
});
