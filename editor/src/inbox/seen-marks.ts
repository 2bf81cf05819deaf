import { useSyncExternalStore } from 'react';

/** Where the browser keeps, per conversation, when this person last had it open (per workspace user: the key is scoped by the caller). */
const STORAGE_KEY = 'om.inbox.seen';
/** Marks kept at most; the oldest go first (a busy agent opens thousands of conversations a month). */
const MAX_MARKS = 2_000;

type Marks = Record<string, string>;

/**
 * When this person last looked at each conversation, kept in the browser: the API has no read
 * receipts of agents, so "unread" means a message came after the agent last had it open, or
 * they never opened it. Listeners re-render the lists when a mark changes.
 */
export class SeenMarks {
  private marks: Marks;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null) {
    this.marks = SeenMarks.read(storage);
  }

  private static read(storage: Pick<Storage, 'getItem'> | null): Marks {
    try {
      const parsed: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}');
      return parsed && typeof parsed === 'object' ? (parsed as Marks) : {};
    } catch {
      return {};
    }
  }

  /** True when the conversation has activity after the last time it was open here. */
  isUnread(conversation: { id: string; lastMessageAt: string }): boolean {
    const seen = this.marks[conversation.id];
    return seen === undefined || Date.parse(conversation.lastMessageAt) > Date.parse(seen);
  }

  markSeen(id: string, at: Date): void {
    const previous = this.marks[id];
    if (previous && Date.parse(previous) >= at.getTime()) return;
    const next: Marks = { ...this.marks, [id]: at.toISOString() };
    const ids = Object.keys(next);
    if (ids.length > MAX_MARKS) for (const old of ids.sort((a, b) => Date.parse(next[a]!) - Date.parse(next[b]!)).slice(0, ids.length - MAX_MARKS)) delete next[old];
    this.marks = next;
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // A full or refused storage only forgets marks across reloads.
    }
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): Marks => this.marks;
}

let shared: SeenMarks | null = null;
/** The page's one store of marks. */
export function seenMarks(): SeenMarks {
  shared ??= new SeenMarks(typeof localStorage === 'undefined' ? null : localStorage);
  return shared;
}

/** Forgets the page's store, so that the next use reads the browser's storage afresh (component tests clear the storage between cases). */
export function reloadSeenMarks(): void {
  shared = null;
}

/** The marks, re-rendering when one changes. */
export function useSeenMarks(): SeenMarks {
  const store = seenMarks();
  useSyncExternalStore(store.subscribe, store.snapshot);
  return store;
}
