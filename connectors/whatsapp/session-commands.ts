import { z } from 'zod';
import type { Redis } from '../../platform/redis.ts';

/** Commands from the API to whichever connector process holds (or should take) a channel's session. */
export const SessionCommandSchema = z.object({
  channelId: z.uuid(),
  action: z.enum(['connect', 'logout', 'reload_settings']),
});
export type SessionCommand = z.infer<typeof SessionCommandSchema>;

/** The Redis pub/sub topic of session commands. */
export function commandTopic(prefix: string): string {
  return `${prefix}:wa:commands`;
}

/** Publishes a command; the state it acts on (wanted, pairing phone) is already committed in Postgres. */
export async function publishSessionCommand(redis: Redis, prefix: string, command: SessionCommand): Promise<void> {
  await redis.publish(commandTopic(prefix), JSON.stringify(command));
}
