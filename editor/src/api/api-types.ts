import type { z } from 'zod';
import type { BroadcastDto, BroadcastRecipientDto, BroadcastStatsDto, BroadcastTimelineDto, SegmentPreviewDto } from '../../../api/dto/broadcast.dto.ts';
import type { MessageDto } from '../../../api/dto/message.dto.ts';
import type { RunDetailDto, RunDto, RunStepDto } from '../../../api/dto/run.dto.ts';
import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';

/** The shapes of the API answers the editor reads (see api/dto/*.dto.ts). */
export interface UserInfo {
  id: string;
  email: string;
  name: string;
}
export interface WorkspaceInfo {
  id: string;
  name: string;
  timezone?: string;
}
export interface SessionAnswer {
  token: string;
  user: UserInfo;
  workspace: WorkspaceInfo;
  role: string;
}
export interface MeAnswer {
  user: UserInfo | null;
  workspace: WorkspaceInfo;
  role: string;
  workspaces: { id: string; name: string; role: string }[];
}

export interface FlowDocumentJson {
  schemaVersion: 1;
  nodes: unknown[];
  edges: unknown[];
}

export interface FlowSummary {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  publishedVersion: number | null;
  draftRevision: number;
  createdAt: string;
  updatedAt: string;
}
export interface FlowListItem extends FlowSummary {
  runsLast24h: Record<string, number>;
}
export interface FlowDetail extends FlowSummary {
  document: FlowDocumentJson;
  problems: FlowProblem[];
}
export interface FlowVersion {
  id: string;
  version: number;
  note: string | null;
  createdAt: string;
}
export interface FlowVersionDetail extends FlowVersion {
  document: FlowDocumentJson;
}
export interface FlowExport {
  name: string;
  description: string | null;
  document: FlowDocumentJson;
}

export interface Channel {
  id: string;
  kind: string;
  name: string;
  status: string;
  statusReason?: string | null;
  displayIdentifier?: string | null;
}

export interface Message {
  id: string;
  direction: 'inbound' | 'outbound';
  sender: string;
  text: string | null;
  status: string;
  /** Reactions on the message, one per person (WhatsApp); `by` is the reactor's channel id, "me" for the owner. */
  reactions?: { by: string; emoji: string; at: string | null }[];
  createdAt: string;
}

/* Runs as the API answers them: the API's own response schemas (types only, no runtime code). */
export type RunSummary = z.infer<typeof RunDto>;
export type RunStep = z.infer<typeof RunStepDto>;
export type RunDetail = z.infer<typeof RunDetailDto>;

/* Broadcasts as the API answers them: the API's own response schemas (types only). */
export type Broadcast = z.infer<typeof BroadcastDto>;
export type BroadcastStats = z.infer<typeof BroadcastStatsDto>;
export type BroadcastRecipient = z.infer<typeof BroadcastRecipientDto>;
export type BroadcastTimeline = z.infer<typeof BroadcastTimelineDto>;
export type SegmentPreview = z.infer<typeof SegmentPreviewDto>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What an invitation link offers (POST /invitations/lookup). */
export interface InvitationLookup {
  email: string;
  role: string;
  workspaceName: string;
  inviterName: string | null;
  expiresAt: string;
  hasAccount: boolean;
}
/** A pending invitation of the workspace (never its link). */
export interface PendingInvitation {
  id: string;
  email: string;
  role: string;
  invitedByName: string | null;
  expiresAt: string;
  createdAt: string;
}
/** A new invitation: its link is in this answer only. */
export interface CreatedInvitation extends PendingInvitation {
  acceptUrl: string;
  emailed: boolean;
}
export interface Member {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
}

/* A message with its delivery times and reactions, as GET /conversations/:id/messages answers it. */
export type MessageDetail = z.infer<typeof MessageDto>;
