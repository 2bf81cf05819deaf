import { z } from 'zod';
import { ValidationError } from '../engine/errors/app-error.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export const PageQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

/** A keyset cursor: the sort value and id of the last item returned, opaque to clients. */
export interface Cursor {
  at: string;
  id: string;
}

const CursorShape = z.object({ at: z.string(), id: z.uuid() });

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null;
  try {
    return CursorShape.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new ValidationError('invalid cursor: pass back the nextCursor of a previous page', {
      cause,
      details: [{ path: 'cursor', message: 'invalid cursor' }],
    });
  }
}

/** Trims the extra row fetched to learn whether another page exists, and builds its cursor. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => Cursor): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(cursorOf(items[items.length - 1]!)) : null };
}
