import { Anchor, Card, Group, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useOccurrences } from '../api/queries/broadcasts.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { ProgressBar, shortCounts, StateBadge } from './broadcast-progress.tsx';

/** The occurrences of a recurring broadcast, newest first, each with its state and progress. */
export function OccurrencesList({ parentId }: { parentId: string }) {
  const occurrences = useOccurrences(parentId);
  return (
    <Stack component="section" aria-labelledby="occurrences-title" gap="sm">
      <Title order={2} size="h4" id="occurrences-title">
        Occurrences
      </Title>
      <QueryState query={occurrences} label="occurrences">
        {(items) =>
          items.length === 0 ? (
            <Text c="dimmed">None yet: the first one starts at the next time of its schedule.</Text>
          ) : (
            <Stack component="ul" gap="xs" p={0} m={0} style={{ listStyle: 'none' }}>
              {items.map((o) => (
                <Card component="li" key={o.id} withBorder padding="sm">
                  <Group justify="space-between" wrap="wrap" gap="sm">
                    <Group gap="xs">
                      <Anchor component={Link} to={`/broadcasts/${o.id}`} fw={600}>
                        {o.name}
                      </Anchor>
                      <StateBadge state={o.state} reason={o.stateReason} />
                    </Group>
                    <ProgressBar percent={o.stats.percentDone} label={`Progress of ${o.name}`} />
                  </Group>
                  <Text size="sm" c="dimmed">
                    {shortCounts(o.stats)}
                  </Text>
                </Card>
              ))}
            </Stack>
          )
        }
      </QueryState>
    </Stack>
  );
}
