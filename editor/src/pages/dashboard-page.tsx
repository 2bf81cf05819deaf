import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useDashboard, type DashboardData } from '../api/queries/analytics.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { PageHeader } from '../shell/page-header.tsx';
import { durationWords } from '../inbox/inbox-words.ts';

const PERIODS = [
  { value: '7', label: '7 days' },
  { value: '14', label: '14 days' },
  { value: '30', label: '30 days' },
];

/** "95 s" → "1 min 35 s": an answer time a supervisor reads at a glance. */
const duration = (seconds: number) => durationWords(seconds, { seconds: true });

/** Messages in and out per day, conversations going on now, and how fast bots and agents answer. */
export function DashboardPage() {
  const [days, setDays] = useState('14');
  const dashboard = useDashboard(Number(days));
  return (
    <>
      <PageHeader
        title="Dashboard"
        description="How much is said, how many conversations are going on, and how fast contacts get an answer."
      />
      <Group mb="md">
        <SegmentedControl data={PERIODS} value={days} onChange={setDays} aria-label="Period" />
      </Group>
      <QueryState query={dashboard} label="the dashboard">
        {(data) => <DashboardBody data={data} />}
      </QueryState>
    </>
  );
}

function DashboardBody({ data }: { data: DashboardData }) {
  const bot = data.responseTimes.find((r) => r.sender === 'bot');
  const agent = data.responseTimes.find((r) => r.sender === 'agent');
  const total = data.messagesPerDay.reduce((sum, d) => ({ inbound: sum.inbound + d.inbound, outbound: sum.outbound + d.outbound }), {
    inbound: 0,
    outbound: 0,
  });
  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        <Stat
          label="Active conversations (24 h)"
          value={data.activeConversations.last24h.toLocaleString()}
          hint={`${data.activeConversations.queued} waiting for an agent, ${data.activeConversations.assigned} with an agent`}
        />
        <Stat label="Messages received" value={total.inbound.toLocaleString()} hint={`Sent: ${total.outbound.toLocaleString()}`} />
        <Stat
          label="Bot reply time (median)"
          value={bot ? duration(bot.medianSeconds) : '—'}
          hint={bot ? `90% within ${duration(bot.p90Seconds)}, ${bot.answered.toLocaleString()} answers` : 'No bot answers in this period'}
        />
        <Stat
          label="Agent reply time (median)"
          value={agent ? duration(agent.medianSeconds) : '—'}
          hint={
            agent
              ? `90% within ${duration(agent.p90Seconds)}, ${agent.answered.toLocaleString()} answers`
              : 'No agent answers in this period'
          }
        />
      </SimpleGrid>
      <Card withBorder component="section" aria-labelledby="per-day-title">
        <Title order={2} size="h4" id="per-day-title" mb="sm">
          Messages per day
        </Title>
        <BarChart
          h={280}
          data={data.messagesPerDay.map((d) => ({
            day: new Date(`${d.day}T12:00:00`).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
            Received: d.inbound,
            Sent: d.outbound,
          }))}
          dataKey="day"
          series={[
            { name: 'Received', color: 'blue.6' },
            { name: 'Sent', color: 'teal.6' },
          ]}
          withLegend
          tickLine="y"
        />
        <Text size="xs" c="dimmed" mt="xs">
          Days in the workspace's time zone ({data.timezone}).
        </Text>
      </Card>
    </Stack>
  );
}

function Stat({ label, value, hint }: { label: string; value: string; hint: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} aria-label={label}>
        {value}
      </Text>
      <Text size="xs" c="dimmed">
        {hint}
      </Text>
    </Card>
  );
}
