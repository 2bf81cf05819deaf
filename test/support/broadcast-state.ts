import type { ApiClient } from './api-client.ts';
import { eventually } from './eventually.ts';

/**
 * Polls the broadcast through the API until it is in `state`, and returns it as the API shows it;
 * fails naming the state it was last seen in.
 */
export async function waitForBroadcastState(client: ApiClient, id: string, state: string, timeoutMs = 20_000): Promise<any> {
  let seen: unknown = 'not read yet';
  return eventually(
    async () => {
      const body = (await client.get(`/api/v1/broadcasts/${id}`)).body;
      seen = body?.state;
      return body?.state === state ? body : undefined;
    },
    { timeoutMs, what: `broadcast ${id} ${state}`, progress: () => `last seen ${String(seen)}` },
  );
}
