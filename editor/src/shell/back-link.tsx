import { Anchor } from '@mantine/core';
import { Link } from 'react-router';

/** The link above a page's title back to where it belongs ("← Contacts"). */
export function BackLink({ to, children }: { to: string; children: string }) {
  return (
    <Anchor component={Link} to={to} size="sm">
      ← {children}
    </Anchor>
  );
}
