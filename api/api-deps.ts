import type { Router } from 'express';
import type { Config } from '../platform/config.ts';
import type { Orm } from '../platform/db/orm.ts';
import type { Logger } from '../platform/logger.ts';
import type { Redis } from '../platform/redis.ts';
import type { QueueFactory } from '../platform/queues/queue-factory.ts';
import type { Clock } from '../engine/clock.ts';
import type { AcceptedInbound, InboundMessage } from '../engine/ports/inbound-message.ts';
import type { MessageType } from '../engine/messages/message-content.ts';
import type { Mailer } from '../engine/ports/mailer.port.ts';
import type { ChannelSessions } from '../engine/ports/channel-sessions.port.ts';
import type { SessionTokens } from './auth/session-tokens.ts';
import type { AuthCache } from './auth/auth-cache.ts';
import type { ChannelFacts } from './channel-facts.ts';
import type { Billing } from '../platform/billing/billing.ts';
import type { Inbox } from '../platform/inbox/inbox.ts';
import type { WebhookEvents } from '../platform/webhooks/webhook-events.ts';
import type { RequestObserver } from '../platform/http/request-record.ts';

/** What the HTTP API needs from the rest of the process. Narrow on purpose: each is a port. */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  orm: Orm;
  redis: Redis;
  clock: Clock;
  tokens: SessionTokens;
  /** Credentials this process checked recently (see AUTH_CACHE_TTL_MS). */
  authCache: AuthCache;
  /** Which workspace a channel belongs to and its kind: facts that never change, kept once read. */
  channelFacts: ChannelFacts;
  queues: QueueFactory;
  /** Plans, limits, Checkout and portal; off (self-hosted plan, no Stripe) without STRIPE_SECRET_KEY. */
  billing: Billing;
  inbound: { accept(message: InboundMessage): Promise<AcceptedInbound> };
  /** The outbound pipeline: records the message and its outbox entry, then dispatches it. */
  outbound: { send(request: OutboundSendRequest): Promise<{ messageId: string; created: boolean }> };
  /** Told after a channel is created so that send workers start for it in every process. */
  channels: { channelAdded(channelId: string): Promise<void> };
  /**
   * Told after a workspace's published or active flows changed (publish, activate, deactivate,
   * delete), once the change is committed, so that every process rebuilds its trigger index.
   */
  flows: { changed(workspaceId: string): Promise<void> };
  /** Starts a run from a flow's inbound webhook; NotFoundError for an unknown flow or token. */
  flowWebhooks: { start(flowId: string, tokenHash: string, body: unknown): Promise<{ runId: string }> };
  /** The support inbox: conversation moves, availability, live updates (platform/inbox). */
  inbox: Inbox;
  /** Event webhooks: told when a workspace's endpoints change, so every process re-reads its subscriptions. */
  webhooks: Pick<WebhookEvents, 'changed'>;
  /** WhatsApp sessions: connect, logout, settings and live login events, wherever the session is held. */
  channelSessions: ChannelSessions;
  /** Sends invitation emails; null when no SMTP server is configured (admins copy the link). */
  mailer: Mailer | null;
  observers: RequestObserver[];
  /** Extra routers mounted before the API (health, metrics, dashboard): owned by the process role. */
  extraRouters?: Router[];
}

/** What the API asks the outbound pipeline to send. */
export interface OutboundSendRequest {
  workspaceId: string;
  conversationId: string;
  channelId: string;
  contactId: string;
  type: MessageType;
  text?: string;
  idempotencyKey: string;
  sender: 'bot' | 'agent' | 'broadcast';
  authorUserId?: string;
}
