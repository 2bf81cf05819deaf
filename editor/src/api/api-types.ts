import type { z } from 'zod';
import type {
  BroadcastComparisonDto,
  BroadcastDto,
  BroadcastEngagementAnswerDto,
  BroadcastRecipientDto,
  BroadcastStatsDto,
  BroadcastTimelineDto,
  SegmentPreviewDto,
} from '../../../api/dto/broadcast.dto.ts';
import type { BillingRedirectDto } from '../../../api/dto/billing.dto.ts';
import type { ChannelDto } from '../../../api/dto/channel.dto.ts';
import type { AuditActionsDto } from '../../../api/dto/audit.dto.ts';
import type { BulkTagsAnswerDto, BulkTagsInput as BulkTagsInputDto, ContactDto } from '../../../api/dto/contact.dto.ts';
import type { ConversationDto } from '../../../api/dto/conversation.dto.ts';
import type {
  AVAILABILITIES,
  AvailabilityDto,
  CannedRenderDto,
  CannedResponseDto,
  ConversationListItemDto,
  ConversationNoteDto,
  InboxAgentDto,
  InboxOverviewDto,
  InboxStreamEventDto,
  ReadMarkerDto,
  RoutingRuleDto,
  TeamFiguresDto,
  TimelineItemDto,
} from '../../../api/dto/inbox.dto.ts';
import type { TEAM_STRATEGIES, TeamDto } from '../../../api/dto/team.dto.ts';
import type {
  FlowDto,
  FlowExportDto,
  FlowListItemDto,
  FlowSummaryDto,
  FlowVersionDetailDto,
  FlowVersionDto,
  PublishAnswerDto,
} from '../../../api/dto/flow.dto.ts';
import type { CreatedInvitationDto, InvitationDto, InvitationLookupDto } from '../../../api/dto/invitation.dto.ts';
import type { MemberDto } from '../../../api/dto/member.dto.ts';
import type { MessageDto, SentMessageDto } from '../../../api/dto/message.dto.ts';
import type { RunDetailDto, RunDto, RunStepDto } from '../../../api/dto/run.dto.ts';
import type { SecretDto } from '../../../api/dto/secret.dto.ts';
import type { PageDto } from '../../../api/dto/page.dto.ts';
import type {
  TemplateDto,
  TemplateInput as TemplateInputDto,
  TemplatePreviewDto,
  TemplateVersionDto,
} from '../../../api/dto/template.dto.ts';
import type {
  CreatedWebhookEndpointDto,
  RotatedWebhookSecretDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookEndpointDto,
} from '../../../api/dto/webhook.dto.ts';
import type { MeDto, SessionDto } from '../../../api/dto/session.dto.ts';

/**
 * The shapes of the API's answers, inferred from the API's own zod response schemas
 * (api/dto/*.ts, imported as types only: no server code reaches the bundle). A field the API
 * adds or renames changes these types, and `npm run check` finds every page that reads it.
 */
export type SessionAnswer = z.infer<typeof SessionDto>;
export type MeAnswer = z.infer<typeof MeDto>;
export type UserInfo = SessionAnswer['user'];
export type WorkspaceInfo = SessionAnswer['workspace'];

/**
 * A flow document as the editor reads it. The API types it loosely (a JSON object the engine
 * validates); the editor's canvas mapping parses nodes and edges itself.
 */
export interface FlowDocumentJson {
  schemaVersion: 1;
  nodes: unknown[];
  edges: unknown[];
}
type WithDocument<T> = Omit<T, 'document'> & { document: FlowDocumentJson };

export type FlowSummary = z.infer<typeof FlowSummaryDto>;
export type FlowListItem = z.infer<typeof FlowListItemDto>;
export type FlowDetail = WithDocument<z.infer<typeof FlowDto>>;
export type FlowVersion = z.infer<typeof FlowVersionDto>;
export type FlowVersionDetail = WithDocument<z.infer<typeof FlowVersionDetailDto>>;
export type FlowExport = WithDocument<z.infer<typeof FlowExportDto>>;
/** What POST /flows/:id/publish answers. */
export type PublishAnswer = z.infer<typeof PublishAnswerDto>;

export type Channel = z.infer<typeof ChannelDto>;
type MessageAnswer = z.infer<typeof MessageDto>;
/** A message with its delivery times and reactions, as GET /conversations/:id/messages answers it. */
export type MessageDetail = MessageAnswer;
/** What POST /conversations/:id/messages answers (202). */
export type SentMessage = z.infer<typeof SentMessageDto>;
/** A chat message as the test chat shows it: an answer's fields it reads (a message just typed, not yet answered, has only these). */
export type Message = Pick<MessageAnswer, 'id' | 'direction' | 'sender' | 'text' | 'status' | 'createdAt'> &
  Partial<Pick<MessageAnswer, 'reactions' | 'outcome'>>;

export type RunSummary = z.infer<typeof RunDto>;
export type RunStep = z.infer<typeof RunStepDto>;
export type RunDetail = z.infer<typeof RunDetailDto>;

export type Broadcast = z.infer<typeof BroadcastDto>;
export type BroadcastStats = z.infer<typeof BroadcastStatsDto>;
export type BroadcastRecipient = z.infer<typeof BroadcastRecipientDto>;
export type BroadcastTimeline = z.infer<typeof BroadcastTimelineDto>;
export type SegmentPreview = z.infer<typeof SegmentPreviewDto>;
export type BroadcastEngagementAnswer = z.infer<typeof BroadcastEngagementAnswerDto>;
export type BroadcastEngagement = BroadcastEngagementAnswer['engagement'];
export type EngagementDefinitions = BroadcastEngagementAnswer['definitions'];
export type BroadcastComparison = z.infer<typeof BroadcastComparisonDto>;
export type BroadcastComparisonItem = BroadcastComparison['items'][number];

export type InvitationLookup = z.infer<typeof InvitationLookupDto>;
export type PendingInvitation = z.infer<typeof InvitationDto>;
export type CreatedInvitation = z.infer<typeof CreatedInvitationDto>;
export type Member = z.infer<typeof MemberDto>;
export type Secret = z.infer<typeof SecretDto>;

// The support inbox (issue 15).
export type Conversation = z.infer<typeof ConversationDto>;
export type ConversationState = Conversation['state'];
/** A conversation in a list: with its contact, last message and the caller's unread count. */
export type ConversationListItem = z.infer<typeof ConversationListItemDto>;
export type TimelineItem = z.infer<typeof TimelineItemDto>;
export type ConversationNote = z.infer<typeof ConversationNoteDto>;
export type ReadMarker = z.infer<typeof ReadMarkerDto>;
export type Availability = (typeof AVAILABILITIES)[number];
export type MyAvailability = z.infer<typeof AvailabilityDto>;
export type InboxAgent = z.infer<typeof InboxAgentDto>;
export type TeamFigures = z.infer<typeof TeamFiguresDto>;
export type InboxOverview = z.infer<typeof InboxOverviewDto>;
export type Team = z.infer<typeof TeamDto>;
export type TeamInput = Omit<Team, 'id' | 'createdAt' | 'updatedAt'>;
export type TeamStrategy = (typeof TEAM_STRATEGIES)[number];
export type RoutingRule = z.infer<typeof RoutingRuleDto>;
export type CannedResponse = z.infer<typeof CannedResponseDto>;
export type CannedRender = z.infer<typeof CannedRenderDto>;
/** Where POST /billing/checkout and /billing/portal send the browser. */
export type BillingRedirect = z.infer<typeof BillingRedirectDto>;
export type Contact = z.infer<typeof ContactDto>;
export type BulkTagsAnswer = z.infer<typeof BulkTagsAnswerDto>;
/** What POST /contacts/bulk-tags takes: tags to add or remove, on contacts named or on a filter's. */
export type BulkTagsInput = z.input<typeof BulkTagsInputDto>;
export type BulkTarget = BulkTagsInput['target'];
/** One event of the inbox's live stream (GET /inbox/events). */
export type InboxStreamEvent = z.infer<typeof InboxStreamEventDto>;

/** A page of a cursor-paginated list: its items and the cursor of the next page. */
export type Page<T> = z.infer<ReturnType<typeof PageDto<z.ZodType<T>>>>;

/** What GET /audit-log/actions answers: the actions the log holds. */
export type AuditActions = z.infer<typeof AuditActionsDto>;

export type WebhookEndpoint = z.infer<typeof WebhookEndpointDto>;
export type WebhookDelivery = z.infer<typeof WebhookDeliveryDto>;
export type WebhookDeliveryDetail = z.infer<typeof WebhookDeliveryDetailDto>;
export type CreatedWebhookEndpoint = z.infer<typeof CreatedWebhookEndpointDto>;
export type RotatedWebhookSecret = z.infer<typeof RotatedWebhookSecretDto>;

/** A saved message template with its current version. */
export type MessageTemplate = z.infer<typeof TemplateDto>;
export type MessageTemplateVersion = z.infer<typeof TemplateVersionDto>;
export type TemplatePreview = z.infer<typeof TemplatePreviewDto>;
/** What POST /templates takes (and PATCH /templates/:id, each field optional). */
export type TemplateInput = z.input<typeof TemplateInputDto>;
