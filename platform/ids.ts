import { v7 } from 'uuid';

/** A new time-ordered id (UUIDv7): rows inserted later sort later, so hot indexes append. */
export function newId(): string {
  return v7();
}
