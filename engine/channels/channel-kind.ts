export const CHANNEL_KINDS = ['sandbox', 'whatsapp', 'webhook'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Statuses a channel can report; connectors add their own reasons in `statusReason`. */
export const CHANNEL_STATUSES = [
  'connected',
  'connecting',
  'qr',
  'pairing',
  'disconnected',
  'logged_out',
  'conflict',
  'restricted',
] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];
