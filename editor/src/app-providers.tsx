import { MantineProvider } from '@mantine/core';
import { ModalsProvider } from '@mantine/modals';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { SessionProvider } from './session/session-context.tsx';
import { cssVariablesResolver, theme } from './theme.ts';

/** Everything a page needs around it: the UI kit (theme, notifications, modals), the query cache and the session. Tests wrap pages in it too (env="test": no transitions, no portals). */
export function AppProviders({
  children,
  queryClient,
  styleNonce,
  env,
}: {
  children: ReactNode;
  queryClient: QueryClient;
  styleNonce?: string;
  env?: 'test';
}) {
  return (
    <MantineProvider
      theme={theme}
      cssVariablesResolver={cssVariablesResolver}
      defaultColorScheme="light"
      getStyleNonce={styleNonce ? () => styleNonce : undefined}
      env={env}
    >
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <ModalsProvider>
            <Notifications position="bottom-right" limit={3} autoClose={4000} />
            {children}
          </ModalsProvider>
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
