import type { Inbox } from '../../platform/inbox/inbox.ts';
import type { ApiPipelines } from '../../platform/runtime/api.role.ts';

/** For HTTP tests that reach no pipeline (ops endpoints, headers); any call to one is a test bug. */
export const noPipelines: ApiPipelines = {
  inbound: { accept: () => Promise.reject(new Error('not in this test')) },
  outbound: { send: () => Promise.reject(new Error('not in this test')) },
  channels: { channelAdded: () => Promise.resolve() },
  flows: { changed: () => Promise.resolve() },
  flowWebhooks: { start: () => Promise.reject(new Error('not in this test')) },
  inbox: new Proxy({}, { get: () => () => Promise.reject(new Error('not in this test')) }) as Inbox,
};
