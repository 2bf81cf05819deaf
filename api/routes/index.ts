import type { AnyRoute } from '../route.ts';
import { analyticsRoutes, dashboardRoutes } from './analytics.routes.ts';
import { broadcastAnalyticsRoutes } from './broadcast-analytics.routes.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { auditRoutes } from './audit.routes.ts';
import { authRoutes } from './auth.routes.ts';
import { billingRoutes } from './billing.routes.ts';
import { broadcastRoutes } from './broadcasts.routes.ts';
import { channelSessionRoutes } from './channel-session.routes.ts';
import { channelRoutes } from './channels.routes.ts';
import { contactImportRoutes } from './contact-imports.routes.ts';
import { contactRoutes } from './contacts.routes.ts';
import { cannedResponseRoutes } from './canned-responses.routes.ts';
import { conversationRoutes } from './conversations.routes.ts';
import { inboxRoutes } from './inbox.routes.ts';
import { routingRuleRoutes } from './routing-rules.routes.ts';
import { teamRoutes } from './teams.routes.ts';
import { flowRoutes } from './flows.routes.ts';
import { invitationRoutes } from './invitations.routes.ts';
import { memberRoutes } from './members.routes.ts';
import { runRoutes } from './runs.routes.ts';
import { secretRoutes } from './secrets.routes.ts';
import { segmentRoutes } from './segments.routes.ts';
import { accountRoutes, contactPrivacyRoutes, exportRoutes, legalHoldRoutes } from './privacy.routes.ts';
import { retentionRoutes } from './retention.routes.ts';
import { templateRoutes } from './templates.routes.ts';
import { testChatRoutes } from './test-chat.routes.ts';
import { workspaceRoutes } from './workspace.routes.ts';
import { webhookRoutes } from './webhooks.routes.ts';

/** Every API route, mounted under /api. Tests walk this table. */
export const allRoutes: AnyRoute[] = [
  ...authRoutes,
  ...workspaceRoutes,
  ...memberRoutes,
  ...invitationRoutes,
  ...apiKeyRoutes,
  ...channelRoutes,
  ...channelSessionRoutes,
  ...contactImportRoutes,
  ...contactRoutes,
  ...conversationRoutes,
  ...teamRoutes,
  ...routingRuleRoutes,
  ...cannedResponseRoutes,
  ...inboxRoutes,
  ...flowRoutes,
  ...analyticsRoutes,
  ...dashboardRoutes,
  ...testChatRoutes,
  ...runRoutes,
  ...secretRoutes,
  ...segmentRoutes,
  ...broadcastRoutes,
  ...broadcastAnalyticsRoutes,
  ...auditRoutes,
  ...billingRoutes,
  ...retentionRoutes,
  ...legalHoldRoutes,
  ...contactPrivacyRoutes,
  ...exportRoutes,
  ...accountRoutes,
  ...webhookRoutes,
  ...templateRoutes,
];
