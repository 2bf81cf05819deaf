import { v7 } from 'uuid';

/** A new time-ordered id (UUIDv7): rows inserted later sort later, so hot indexes append. */
export function newId(): string {
  return v7();
}

/**
 * The smallest id `newId` can give at `time` or later: UUIDv7 starts with its time in ms (48 bits),
 * so `id >= firstIdAt(t)` on a primary key is a range scan of the rows created since `t`.
 */
export function firstIdAt(time: Date): string {
  const hex = Math.max(0, Math.floor(time.getTime())).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
