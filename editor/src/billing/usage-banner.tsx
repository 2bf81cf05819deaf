import { Alert, Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useBilling, type BillingInfo, type UsageThreshold } from '../api/queries/billing.queries.ts';

const COLOR: Record<UsageThreshold, string> = { 80: 'yellow', 90: 'orange', 100: 'red' };

/** The sentence for the highest threshold reached, in the owner's words. */
export function alertText(alert: NonNullable<BillingInfo['alert']>, periodEnd: string): { title: string; body: string } {
  const until = new Date(periodEnd).toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
  if (alert.threshold === 100) {
    return {
      title: `You have used all your ${alert.label}`,
      body:
        alert.entitlement === 'messagesPerPeriod' || alert.entitlement === 'broadcastRecipientsPerMonth'
          ? `Flows and broadcasts send nothing more until ${until} (agents' replies still go out). Upgrade to send again now.`
          : 'Nothing more can be added until you remove one or upgrade.',
    };
  }
  return {
    title: `You have used ${alert.threshold} % of your ${alert.label}`,
    body: `The period ends on ${until}. Upgrade before you run out.`,
  };
}

/** At 80, 90 and 100 % of a limit: a banner on every page, for owners (others never load billing). */
export function UsageBanner() {
  const billing = useBilling().data;
  if (!billing?.alert) return null;
  const { title, body } = alertText(billing.alert, billing.period.end);
  return (
    <Alert color={COLOR[billing.alert.threshold]} variant="light" title={title} mb="md" role="status">
      <Text size="sm">
        {body}{' '}
        <Anchor component={Link} to="/settings/billing" size="sm">
          See billing
        </Anchor>
      </Text>
    </Alert>
  );
}
