import { z } from 'zod';

/**
 * A page of a cursor-paginated list (api/pagination.ts): its items, and the cursor to pass back
 * for the next page (null on the last one). The editor infers `Page<T>` from it.
 */
export function PageDto<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
