import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { CHANNEL_KINDS } from '../../../engine/channels/channel-kind.ts';

export const ChannelSchema = defineEntity({
  name: 'Channel',
  tableName: 'channels',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    kind: p.enum([...CHANNEL_KINDS]),
    name: p.text(),
    status: p.text(),
    statusReason: p.text().nullable(),
    statusChangedAt: p.datetime().onCreate(() => new Date()),
    /** E.164 number, webhook URL host, or a sandbox label: what a user sees to recognise it. */
    displayIdentifier: p.text().nullable(),
    /** AES-256-GCM sealed JSON (see platform/crypto/sealed-box.ts); DTOs never include it. */
    credentials: p.blob().nullable(),
    settings: p.json<Record<string, unknown>>().default('{}'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    deletedAt: p.datetime().nullable(),
  },
});
export type Channel = InferEntity<typeof ChannelSchema>;
