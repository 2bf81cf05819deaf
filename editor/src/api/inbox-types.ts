import type { z } from 'zod';
import type { ContactDto } from '../../../api/dto/contact.dto.ts';
import type { ConversationDto } from '../../../api/dto/conversation.dto.ts';
import type { ConversationNoteDto, TimelineItemDto } from '../../../api/dto/inbox.dto.ts';
import type { TEAM_STRATEGIES, TeamDto } from '../../../api/dto/team.dto.ts';
import type { InboxEvent } from '../../../platform/inbox/inbox-effects.ts';

/*
 * The support inbox as the API answers it (issue 15): the API's own schemas where api/dto
 * exports them (types only, no runtime code). The answers below are declared inside their route
 * files (api/routes/inbox.routes.ts, routing-rules.routes.ts, canned-responses.routes.ts) and
 * are mirrored here field for field until they move to api/dto.
 */

export type ConversationState = z.infer<typeof ConversationDto>['state'];
export type Availability = 'online' | 'away' | 'offline';
export type TeamStrategy = (typeof TEAM_STRATEGIES)[number];

export type Conversation = z.infer<typeof ConversationDto>;
export type TimelineItem = z.infer<typeof TimelineItemDto>;
export type ConversationNote = z.infer<typeof ConversationNoteDto>;

export interface MyAvailability {
  availability: Availability;
  connected: boolean;
  load: number;
  lastSeenAt: string | null;
}

export interface InboxAgent {
  userId: string;
  name: string | null;
  email: string;
  availability: Availability;
  connected: boolean;
  load: number;
  capacity: number;
  teamIds: string[];
}

export interface TeamFigures {
  teamId: string;
  name: string;
  queued: number;
  assigned: number;
  longestWaitSeconds: number | null;
  overSla: number;
  waitP50Seconds: number | null;
  waitP90Seconds: number | null;
}

export type Team = TeamDto;
export type TeamInput = Omit<Team, 'id' | 'createdAt' | 'updatedAt'>;

export interface RoutingRule {
  id: string;
  name: string;
  position: number;
  condition: unknown;
  teamId: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CannedResponse {
  id: string;
  shortcut: string;
  title: string;
  text: string;
  createdAt: string;
  updatedAt: string;
}

export type Contact = z.infer<typeof ContactDto>;

/** One event of the inbox's live stream (GET /inbox/events), as the server publishes it. */
export type InboxStreamEvent = InboxEvent;
