import {
  ActionIcon,
  AppShell,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Select,
  Text,
  Tooltip,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { can, type Role } from '../../../engine/tenancy/role.ts';
import type { SessionAnswer } from '../api/api-types.ts';
import { useMe } from '../api/queries/session.queries.ts';
import { AvailabilitySwitch } from '../inbox/availability-switch.tsx';
import { useSession } from '../session/session-context.tsx';
import { UsageBanner } from '../billing/usage-banner.tsx';
import { WebhookNotice } from '../webhooks/webhook-notice.tsx';
import { PageSuspense } from './lazy-page.tsx';
import { NAV_ITEMS, type NavItem } from './nav-items.ts';

const NAVBAR_WIDTH_PX = 220;
const HEADER_HEIGHT_PX = 56;

/** Every signed-in page but the flow editor: the header (workspace, user, theme, logout), the sidebar, and the page. */
export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const { pathname } = useLocation();
  const me = useMe().data;
  const items = NAV_ITEMS.filter((item) => !item.capability || (me ? can(me.role as Role, item.capability) : false));

  // The entry of the page: the longest path that holds it (/inbox/supervisor is Supervisor's, not Inbox's).
  const active = items.filter((i) => pathname === i.to || pathname.startsWith(`${i.to}/`)).sort((a, b) => b.to.length - a.to.length)[0];
  const link = (item: NavItem) =>
    item.external ? (
      <NavLink key={item.to} href={item.to} target="_blank" rel="noopener" label={item.label} />
    ) : (
      <NavLink key={item.to} component={Link} to={item.to} label={item.label} active={item === active} onClick={close} />
    );
  const settings = items.filter((i) => i.section === 'settings');

  return (
    <AppShell
      header={{ height: HEADER_HEIGHT_PX }}
      navbar={{ width: NAVBAR_WIDTH_PX, breakpoint: 'md', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="md" size="sm" aria-label="Menu" />
            <Text component={Link} to="/flows" fw={700} size="lg" c="inherit" td="none">
              OneMessage
            </Text>
          </Group>
          <HeaderEnd />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <AppShell.Section grow component={ScrollArea}>
          {items.filter((i) => i.section === 'main').map(link)}
          {settings.length > 0 && (
            <>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4}>
                Settings
              </Text>
              {settings.map(link)}
            </>
          )}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <UsageBanner />
        <WebhookNotice />
        <PageSuspense>
          <Outlet />
        </PageSuspense>
      </AppShell.Main>
    </AppShell>
  );
}

/** The workspace switcher, who is logged in, the theme and logout. */
function HeaderEnd() {
  const { api, signIn, signOut } = useSession();
  const me = useMe().data;
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  async function switchTo(workspaceId: string) {
    const answer = await api.post<SessionAnswer>('/auth/switch', { workspaceId });
    queryClient.clear();
    signIn(answer);
    void navigate('/flows');
  }

  return (
    <Group gap="sm" wrap="nowrap">
      {me?.user && can(me.role as Role, 'inbox.work') && <AvailabilitySwitch userId={me.user.id} />}
      {me && me.workspaces.length > 0 && (
        <Select
          aria-label="Workspace"
          size="xs"
          w={180}
          allowDeselect={false}
          value={me.workspace.id}
          data={me.workspaces.map((w) => ({ value: w.id, label: w.name }))}
          onChange={(id) => id && id !== me.workspace.id && void switchTo(id)}
        />
      )}
      {me?.user && (
        <Text size="sm" c="dimmed" visibleFrom="md">
          {me.user.email}
        </Text>
      )}
      <ThemeToggle />
      <Button variant="default" size="xs" onClick={() => void signOut()}>
        Log out
      </Button>
    </Group>
  );
}

/** Light or dark, remembered by the browser (Mantine's local storage manager). */
export function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to the ${next} theme`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to the ${next} theme`} onClick={() => setColorScheme(next)}>
        <span aria-hidden="true">{scheme === 'dark' ? '☀' : '☾'}</span>
      </ActionIcon>
    </Tooltip>
  );
}
