import { ApiKeySchema } from './api-key.entity.ts';
import { AuditEntrySchema } from './audit-entry.entity.ts';
import { ChannelSchema } from './channel.entity.ts';
import { ContactIdentitySchema } from './contact-identity.entity.ts';
import { ContactSchema } from './contact.entity.ts';
import { ConversationSchema } from './conversation.entity.ts';
import { FlowVersionSchema } from './flow-version.entity.ts';
import { FlowRecordSchema } from './flow.entity.ts';
import { InvitationSchema } from './invitation.entity.ts';
import { MembershipSchema } from './membership.entity.ts';
import { MessageSchema } from './message.entity.ts';
import { UsageEventSchema } from './usage-event.entity.ts';
import { UserSchema } from './user.entity.ts';
import { WorkspaceSchema } from './workspace.entity.ts';

export const entities = [
  WorkspaceSchema,
  UserSchema,
  MembershipSchema,
  ApiKeySchema,
  ChannelSchema,
  ContactSchema,
  ContactIdentitySchema,
  ConversationSchema,
  MessageSchema,
  UsageEventSchema,
  AuditEntrySchema,
  FlowRecordSchema,
  FlowVersionSchema,
  InvitationSchema,
];
