import { Alert, Button, Center, Group, Loader, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { messageOf } from '../error-message.ts';

/**
 * The one way a page shows a query's loading and error states: a loader while the first answer
 * is on its way, the API's message with a "Try again" button when it failed, else `children`
 * with the data. A refetch in the background keeps showing the data it has.
 */
export function QueryState<T>({ query, children, label }: { query: UseQueryResult<T>; children: (data: T) => ReactNode; label?: string }) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  return (
    <Center py="xl" aria-busy="true">
      <Loader size="sm" aria-label={label ? `Loading ${label}` : 'Loading'} />
    </Center>
  );
}

/** A failed read in words, with a retry. */
export function QueryError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert color="red" variant="light" title="This could not be loaded" role="alert">
      <Group justify="space-between" wrap="nowrap" gap="md">
        <Text size="sm">{messageOf(error)}</Text>
        {onRetry && (
          <Button size="xs" variant="default" onClick={onRetry}>
            Try again
          </Button>
        )}
      </Group>
    </Alert>
  );
}
