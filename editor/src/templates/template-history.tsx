import { Anchor, Badge, Group, Modal, Paper, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { MessageTemplate, MessageTemplateVersion } from '../api/api-types.ts';
import { useTemplateVersions } from '../api/queries/templates.queries.ts';
import { QueryState } from '../api/query-state.tsx';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * Every version of a template, newest first: when and by whom it was saved, its text in each
 * language, and what sends it now (published flows pin a version until published again; a
 * broadcast sends the version current when it started).
 */
export function TemplateHistory({ template, onClose }: { template: MessageTemplate; onClose: () => void }) {
  const versions = useTemplateVersions(template.id);
  return (
    <Modal opened onClose={onClose} title={`History of “${template.name}”`} size="xl">
      <QueryState query={versions} label="the versions">
        {({ items }) => (
          <Stack gap="sm" aria-label="Versions">
            {items.map((v) => (
              <VersionCard key={v.id} version={v} current={v.version === template.version} />
            ))}
          </Stack>
        )}
      </QueryState>
    </Modal>
  );
}

function VersionCard({ version, current }: { version: MessageTemplateVersion; current: boolean }) {
  return (
    <Paper withBorder p="sm" radius="md" aria-label={`Version ${version.version}`} data-testid="template-version">
      <Group justify="space-between" mb={6}>
        <Group gap="xs">
          <Text fw={700}>Version {version.version}</Text>
          {current && <Badge variant="light">current</Badge>}
        </Group>
        <Text size="sm" c="dimmed">
          {when(version.createdAt)} · {version.createdBy ? `by ${version.createdBy.name}` : 'by an API key'}
        </Text>
      </Group>
      <Stack gap={4}>
        {version.content.variants.map((variant) => (
          <Group key={variant.language} gap="xs" align="flex-start" wrap="nowrap">
            <Badge
              variant={variant.language === version.content.fallbackLanguage ? 'filled' : 'light'}
              miw={56}
              title={variant.language === version.content.fallbackLanguage ? 'fallback language' : undefined}
            >
              {variant.language}
            </Badge>
            <Stack gap={0}>
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {variant.text}
              </Text>
              {variant.mediaUrl && (
                <Text size="xs" c="dimmed">
                  📎 {variant.mediaUrl}
                </Text>
              )}
            </Stack>
          </Group>
        ))}
      </Stack>
      <UsedBy version={version} />
    </Paper>
  );
}

/** The flows whose published version sends this version, and the broadcasts that sent it. */
function UsedBy({ version }: { version: MessageTemplateVersion }) {
  if (version.flows.length === 0 && version.broadcasts.length === 0) return null;
  return (
    <Stack gap={2} mt="xs">
      {version.flows.length > 0 && (
        <Text size="sm">
          Published flows that send this version:{' '}
          {version.flows.map((f, i) => (
            <span key={f.id}>
              {i > 0 && ', '}
              <Anchor component={Link} to={`/flows/${f.id}`} size="sm">
                {f.name}
              </Anchor>{' '}
              (v{f.flowVersion}
              {f.active ? '' : ', off'})
            </span>
          ))}
        </Text>
      )}
      {version.broadcasts.length > 0 && (
        <Text size="sm">
          Broadcasts that sent this version:{' '}
          {version.broadcasts.map((b, i) => (
            <span key={b.id}>
              {i > 0 && ', '}
              <Anchor component={Link} to={`/broadcasts/${b.id}`} size="sm">
                {b.name}
              </Anchor>{' '}
              ({b.state})
            </span>
          ))}
        </Text>
      )}
    </Stack>
  );
}
