import { Card, SimpleGrid, Stack, Text, Tooltip } from '@mantine/core';
import type { BroadcastEngagement, EngagementDefinitions } from '../api/api-types.ts';
import { percentOf } from './broadcast-numbers.ts';

/** A column or card label whose definition shows on hover and on keyboard focus. */
export function DefinedLabel({ label, definition }: { label: string; definition: string }) {
  return (
    <Tooltip label={definition} multiline w={320} withArrow events={{ hover: true, focus: true, touch: true }}>
      <Text
        span
        inherit
        tabIndex={0}
        style={{ textDecoration: 'underline dotted', textUnderlineOffset: 3, cursor: 'help' }}
        aria-description={definition}
      >
        {label}
      </Text>
    </Tooltip>
  );
}

/**
 * Reply and opt-out rates beside the reached-at-least cards: shares of the delivered recipients
 * (the Delivered card), so each rate's "of delivered" is that card's number.
 */
export function EngagementCards({ engagement, definitions }: { engagement: BroadcastEngagement; definitions: EngagementDefinitions }) {
  const cards = [
    { key: 'replied', label: 'Reply rate', definition: definitions.replyRate, part: engagement.replied, words: 'replied' },
    { key: 'opted-out', label: 'Opt-out rate', definition: definitions.optOutRate, part: engagement.optedOut, words: 'opted out' },
  ];
  return (
    <Stack gap={6}>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="sm" aria-label="After delivery">
        {cards.map((c) => (
          <Card key={c.key} withBorder padding="sm" radius="md">
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              <DefinedLabel label={c.label} definition={c.definition} />
            </Text>
            <Text fz={28} fw={700} lh={1.2} data-rate={c.key}>
              {percentOf(c.part, engagement.delivered)}
            </Text>
            <Text size="xs" c="dimmed">
              {engagement.delivered === 0 ? 'none delivered yet' : `${c.part} of ${engagement.delivered} delivered ${c.words}`}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        Replies count within {definitions.replyWindowHours} hours of delivery, opt-outs within {definitions.optOutWindowDays} days; both are
        shares of the delivered recipients. Hover a rate for its definition.
      </Text>
    </Stack>
  );
}
