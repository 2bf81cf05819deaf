import { z } from 'zod';
import type { ApiKey } from '../../platform/db/entities/api-key.entity.ts';

export const ApiKeyDto = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  role: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

/** A key as it is created: the only answer that holds its secret. */
export const CreatedApiKeyDto = ApiKeyDto.extend({ secret: z.string() });

export function toApiKeyDto(k: ApiKey): z.infer<typeof ApiKeyDto> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}
