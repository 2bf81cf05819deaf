import { Alert, Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useCan } from '../api/queries/use-can.ts';
import { useWebhooks } from '../api/queries/webhooks.queries.ts';

/**
 * A webhook the server turned off after it failed for a day: a banner on every page for owners
 * and admins, the way usage thresholds are told (the audit log keeps `webhook.endpoint_disabled`).
 */
export function WebhookNotice() {
  const manages = useCan('webhooks.manage') === true;
  const disabled = (useWebhooks(manages).data ?? []).filter((e) => e.disabledReason === 'failing');
  if (disabled.length === 0) return null;
  return (
    <Alert
      color="red"
      variant="light"
      title={disabled.length === 1 ? 'A webhook was turned off' : `${disabled.length} webhooks were turned off`}
      mb="md"
      role="status"
    >
      <Text size="sm">
        {disabled.map((e) => e.url).join(', ')} failed for a day, so nothing more is sent there.{' '}
        <Anchor component={Link} to="/settings/webhooks" size="sm">
          See webhooks
        </Anchor>
      </Text>
    </Alert>
  );
}
