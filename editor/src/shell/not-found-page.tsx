import { Button, Stack, Text, Title } from '@mantine/core';
import { Link, useLocation } from 'react-router';

/** Any path the editor does not know. */
export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <Stack align="center" py={80} gap="md">
      <Title order={1}>Page not found</Title>
      <Text c="dimmed" ta="center">
        There is no page at{' '}
        <Text span ff="monospace">
          {pathname}
        </Text>
        . The link may be old or mistyped.
      </Text>
      <Button component={Link} to="/flows">
        Go to your flows
      </Button>
    </Stack>
  );
}
