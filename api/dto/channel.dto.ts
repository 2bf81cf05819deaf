import { z } from 'zod';
import type { Channel } from '../../platform/db/entities/channel.entity.ts';

export const ChannelDto = z.object({
  id: z.uuid(),
  kind: z.string(),
  name: z.string(),
  status: z.string(),
  statusReason: z.string().nullable(),
  statusChangedAt: z.string(),
  displayIdentifier: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  hasCredentials: z.boolean(),
  createdAt: z.string(),
  /** A webhook channel's signing secret: in the creation response only, never again. */
  webhookSecret: z.string().optional(),
});

/** Credentials never leave the server: only whether some are stored. */
export function toChannelDto(c: Channel): z.infer<typeof ChannelDto> {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    status: c.status,
    statusReason: c.statusReason ?? null,
    statusChangedAt: c.statusChangedAt.toISOString(),
    displayIdentifier: c.displayIdentifier ?? null,
    settings: c.settings,
    hasCredentials: c.credentials != null,
    createdAt: c.createdAt.toISOString(),
  };
}
