import { Alert, Anchor, Badge, Button, Card, Group, List, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useBilling, useCheckout, usePortal, type BillingInfo, type PlanInfo } from '../api/queries/billing.queries.ts';
import { QueryState } from '../api/query-state.tsx';

const STATUS_WORDS: Record<string, { label: string; color: string }> = {
  active: { label: 'Active', color: 'green' },
  trialing: { label: 'Trial', color: 'blue' },
  past_due: { label: 'Payment failed: Stripe is retrying', color: 'orange' },
  unpaid: { label: 'Unpaid', color: 'red' },
  canceled: { label: 'Cancelled', color: 'gray' },
  incomplete: { label: 'Waiting for the first payment', color: 'yellow' },
  incomplete_expired: { label: 'First payment expired', color: 'gray' },
  paused: { label: 'Paused', color: 'gray' },
};

const BAR_COLOR = { 80: 'yellow', 90: 'orange', 100: 'red' } as const;

function day(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
}

function money(cents: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100);
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function count(n: number | null): string {
  return n === null ? 'unlimited' : n.toLocaleString();
}

/** "1 seat", "5 seats", "unlimited seats". */
function countOf(n: number | null, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** The workspace's plan, usage against each limit, plans to move to, card and invoices. Owners only. */
export function BillingPage() {
  const query = useBilling();
  const [params] = useSearchParams();
  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>Billing</Title>
      {params.get('checkout') === 'done' && (
        <Alert color="green" variant="light" title="Thank you">
          Your payment went through. The new plan shows here as soon as Stripe confirms it (a few seconds).
        </Alert>
      )}
      <QueryState query={query} label="billing">
        {(billing) => <BillingDetails billing={billing} />}
      </QueryState>
    </Stack>
  );
}

function BillingDetails({ billing }: { billing: BillingInfo }) {
  const portal = usePortal();
  const status = billing.subscription
    ? (STATUS_WORDS[billing.subscription.status] ?? { label: billing.subscription.status, color: 'gray' })
    : null;
  return (
    <>
      {!billing.enabled && (
        <Alert color="blue" variant="light" title="Billing is off on this server">
          Every workspace here has the self-hosted plan, with no limit. Usage is still counted below.
        </Alert>
      )}
      <Card withBorder padding="lg" component="section" aria-labelledby="plan-title">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={2} size="h3" id="plan-title">
              {billing.plan.name} plan
            </Title>
            <Text c="dimmed" size="sm">
              Current period: {day(billing.period.start)} to {day(billing.period.end)}
            </Text>
            {status && (
              <Badge mt="xs" color={status.color} variant="light">
                {status.label}
                {billing.subscription?.cancelAtPeriodEnd ? ' · ends with this period' : ''}
              </Badge>
            )}
          </div>
          {billing.enabled && (
            <Button variant="default" loading={portal.isPending} onClick={() => portal.mutate()}>
              Manage billing
            </Button>
          )}
        </Group>
      </Card>

      <section aria-labelledby="usage-title">
        <Title order={2} size="h3" id="usage-title" mb="sm">
          Usage this period
        </Title>
        <Card withBorder padding="lg">
          <Stack gap="md">
            {billing.usage.map((line) => (
              <UsageBar key={line.entitlement} line={line} />
            ))}
          </Stack>
        </Card>
      </section>

      {billing.plans.length > 0 && (
        <section aria-labelledby="plans-title">
          <Title order={2} size="h3" id="plans-title" mb="sm">
            Plans
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {billing.plans.map((plan) => (
              <PlanCard key={plan.id} plan={plan} current={plan.current} purchasable={plan.purchasable} />
            ))}
          </SimpleGrid>
        </section>
      )}

      {billing.enabled && <PaymentDetails billing={billing} />}
    </>
  );
}

function UsageBar({ line }: { line: BillingInfo['usage'][number] }) {
  if (line.used === null) {
    return (
      <Group justify="space-between">
        <Text size="sm">{sentence(line.label)}</Text>
        <Text size="sm" c="dimmed">
          {count(line.limit)}
        </Text>
      </Group>
    );
  }
  const percent = line.limit === null ? 0 : line.limit === 0 ? 100 : Math.min(100, (line.used / line.limit) * 100);
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm">{sentence(line.label)}</Text>
        <Text size="sm" c={line.threshold ? BAR_COLOR[line.threshold] : 'dimmed'} fw={line.threshold ? 600 : 400}>
          {line.used.toLocaleString()} of {count(line.limit)}
          {line.limit !== null ? ` (${Math.floor(percent)} %)` : ''}
        </Text>
      </Group>
      {line.limit !== null && (
        <Progress
          value={percent}
          color={line.threshold ? BAR_COLOR[line.threshold] : 'blue'}
          aria-label={`${line.label}: ${Math.floor(percent)} % used`}
        />
      )}
    </div>
  );
}

function PlanCard({ plan, current, purchasable }: { plan: PlanInfo; current: boolean; purchasable: boolean }) {
  const checkout = useCheckout();
  const e = plan.entitlements;
  return (
    <Card withBorder padding="lg" aria-label={`${plan.name} plan`}>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4">
          {plan.name}
        </Title>
        {current && <Badge variant="light">Current plan</Badge>}
      </Group>
      <Text fw={600} mb="sm">
        {plan.priceLabel}
      </Text>
      <List size="sm" spacing={4} mb="md">
        <List.Item>{countOf(e.messagesPerPeriod ?? null, 'automated message', 'automated messages')} a period</List.Item>
        <List.Item>{countOf(e.numbers ?? null, 'WhatsApp number', 'WhatsApp numbers')}</List.Item>
        <List.Item>{countOf(e.seats ?? null, 'seat', 'seats')}</List.Item>
        <List.Item>{countOf(e.activeFlows ?? null, 'active flow', 'active flows')}</List.Item>
        <List.Item>{countOf(e.broadcastRecipientsPerMonth ?? null, 'broadcast recipient', 'broadcast recipients')} a period</List.Item>
        <List.Item>{e.retentionDays === null ? 'history kept without limit' : `${e.retentionDays} days of history`}</List.Item>
      </List>
      {!current && purchasable && (
        <Button
          fullWidth
          loading={checkout.isPending && checkout.variables === plan.id}
          onClick={() => checkout.mutate(plan.id)}
          aria-label={`Upgrade to ${plan.name}`}
        >
          Upgrade
        </Button>
      )}
    </Card>
  );
}

function PaymentDetails({ billing }: { billing: BillingInfo }) {
  const address = billing.billingAddress;
  return (
    <section aria-labelledby="payment-title">
      <Title order={2} size="h3" id="payment-title" mb="sm">
        Payment
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }} mb="md">
        <Card withBorder padding="lg">
          <Text size="sm" c="dimmed">
            Card
          </Text>
          <Text>
            {billing.card
              ? `${billing.card.brand.toUpperCase()} ending in ${billing.card.last4}, expires ${String(billing.card.expMonth).padStart(2, '0')}/${billing.card.expYear}`
              : 'No card yet: one is added at checkout.'}
          </Text>
        </Card>
        <Card withBorder padding="lg">
          <Text size="sm" c="dimmed">
            Billing address
          </Text>
          <Text>
            {address
              ? [address.line1, address.line2, [address.postalCode, address.city].filter(Boolean).join(' '), address.state, address.country]
                  .filter(Boolean)
                  .join(', ')
              : 'None yet.'}
          </Text>
        </Card>
      </SimpleGrid>
      <Card withBorder padding={0}>
        <Table aria-label="Invoices" verticalSpacing="sm" horizontalSpacing="lg">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Invoice</Table.Th>
              <Table.Th>Date</Table.Th>
              <Table.Th>Amount</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {billing.invoices.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5}>
                  <Text size="sm" c="dimmed">
                    No invoices yet.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {billing.invoices.map((invoice) => (
              <Table.Tr key={invoice.id}>
                <Table.Td>{invoice.number ?? '—'}</Table.Td>
                <Table.Td>{day(invoice.createdAt)}</Table.Td>
                <Table.Td>{money(invoice.amountDue, invoice.currency)}</Table.Td>
                <Table.Td>
                  <Badge color={invoice.status === 'paid' ? 'green' : invoice.status === 'open' ? 'orange' : 'gray'} variant="light">
                    {invoice.status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {invoice.hostedInvoiceUrl && (
                    <Anchor href={invoice.hostedInvoiceUrl} target="_blank" rel="noopener noreferrer" size="sm">
                      View invoice
                    </Anchor>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
    </section>
  );
}
