import { z } from 'zod';
import type { User } from '../../platform/db/entities/user.entity.ts';

export const UserDto = z.object({ id: z.uuid(), email: z.string(), name: z.string(), createdAt: z.string() });

export function toUserDto(u: User): z.infer<typeof UserDto> {
  return { id: u.id, email: u.email, name: u.name, createdAt: u.createdAt.toISOString() };
}
