import { z } from 'zod';
import { TEAM_STRATEGIES } from '../../platform/inbox/team-store.ts';

/** Re-exported for the editor, which reads the API's types from here. */
export { TEAM_STRATEGIES };

export const TeamMemberInput = z.strictObject({
  userId: z.uuid(),
  /** Most conversations this agent has at once; the team's default capacity when left out. */
  capacity: z.number().int().min(1).max(1_000).nullish(),
});

export const TeamFields = {
  name: z.string().trim().min(1).max(100),
  /** round_robin: each available agent in turn; least_busy: fewest open conversations first; manual: the queue waits for agents to take. */
  strategy: z.enum(TEAM_STRATEGIES),
  /** A returning contact goes back to the agent who last had them, when that agent is available with room. */
  sticky: z.boolean(),
  defaultCapacity: z.number().int().min(1).max(1_000),
  /** Hand-offs that name no team and match no routing rule go to the default team (one per workspace). */
  isDefault: z.boolean(),
  /** When nobody takes a handed-off conversation within this many seconds, the bot has it again. Null: never. */
  handoffTimeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .nullable(),
  /** Sent to the contact when the hand-off times out. */
  handoffTimeoutMessage: z.string().trim().min(1).max(1_000).nullable(),
  /** Resolve a conversation after this many hours without a message from the contact. Null: never. */
  autoResolveHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .nullable(),
};

export const TeamCreateBody = z.strictObject({
  name: TeamFields.name,
  strategy: TeamFields.strategy.default('round_robin'),
  sticky: TeamFields.sticky.default(false),
  defaultCapacity: TeamFields.defaultCapacity.default(5),
  isDefault: TeamFields.isDefault.default(false),
  handoffTimeoutSeconds: TeamFields.handoffTimeoutSeconds.default(null),
  handoffTimeoutMessage: TeamFields.handoffTimeoutMessage.default(null),
  autoResolveHours: TeamFields.autoResolveHours.default(null),
  members: z.array(TeamMemberInput).max(500).default([]),
});

export const TeamPatchBody = z.strictObject({
  name: TeamFields.name.optional(),
  strategy: TeamFields.strategy.optional(),
  sticky: TeamFields.sticky.optional(),
  defaultCapacity: TeamFields.defaultCapacity.optional(),
  isDefault: TeamFields.isDefault.optional(),
  handoffTimeoutSeconds: TeamFields.handoffTimeoutSeconds.optional(),
  handoffTimeoutMessage: TeamFields.handoffTimeoutMessage.optional(),
  autoResolveHours: TeamFields.autoResolveHours.optional(),
});

export const TeamDto = z.object({
  id: z.uuid(),
  name: z.string(),
  strategy: z.enum(TEAM_STRATEGIES),
  sticky: z.boolean(),
  defaultCapacity: z.number(),
  isDefault: z.boolean(),
  handoffTimeoutSeconds: z.number().nullable(),
  handoffTimeoutMessage: z.string().nullable(),
  autoResolveHours: z.number().nullable(),
  members: z.array(z.object({ userId: z.uuid(), capacity: z.number().nullable() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TeamDto = z.infer<typeof TeamDto>;
