import { Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { ThemeToggle } from './app-layout.tsx';

/** The frame of the pages shown without the sidebar (login, an invitation): the product's name and one card. */
export function CenteredCard({ children, title }: { children: ReactNode; title: string }) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Stack w="100%" maw={420} gap="md">
        <Group justify="space-between">
          <Stack gap={0}>
            <Title order={1} size="h2">
              OneMessage
            </Title>
            <Text c="dimmed" size="sm">
              Build, test and publish messaging flows.
            </Text>
          </Stack>
          <ThemeToggle />
        </Group>
        <Paper withBorder shadow="sm" p="lg" radius="md">
          <Title order={2} size="h3" mb="md">
            {title}
          </Title>
          {children}
        </Paper>
      </Stack>
    </Center>
  );
}
