import { useQuery } from '@tanstack/react-query';
import { useSession } from '../../session/session-context.tsx';
import type { WebhookDelivery, WebhookDeliveryDetail, WebhookEndpoint } from '../api-types.ts';

export const webhookKeys = {
  all: ['webhooks'] as const,
  deliveries: (endpointId: string) => ['webhooks', endpointId, 'deliveries'] as const,
  delivery: (deliveryId: string) => ['webhooks', 'delivery', deliveryId] as const,
};

/** Deliveries move while the page is open (retries, redeliveries): the lists look again this often. */
const DELIVERIES_REFRESH_MS = 3_000;

/** The workspace's webhook endpoints: asked only of a role that manages them (`enabled`). */
export function useWebhooks(enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: webhookKeys.all,
    queryFn: ({ signal }) => api.get<{ items: WebhookEndpoint[] }>('/webhooks', signal).then((p) => p.items),
    enabled,
  });
}

export function useWebhookDeliveries(endpointId: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: webhookKeys.deliveries(endpointId ?? ''),
    queryFn: ({ signal }) =>
      api.get<{ items: WebhookDelivery[] }>(`/webhooks/${endpointId}/deliveries?limit=50`, signal).then((p) => p.items),
    enabled: endpointId !== null,
    refetchInterval: DELIVERIES_REFRESH_MS,
  });
}

export function useWebhookDelivery(deliveryId: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: webhookKeys.delivery(deliveryId ?? ''),
    queryFn: ({ signal }) => api.get<WebhookDeliveryDetail>(`/webhook-deliveries/${deliveryId}`, signal),
    enabled: deliveryId !== null,
    refetchInterval: DELIVERIES_REFRESH_MS,
  });
}
