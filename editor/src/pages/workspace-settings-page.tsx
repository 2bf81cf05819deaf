import { ActionIcon, Button, Card, Checkbox, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { TimeInput } from '@mantine/dates';
import { useState, type FormEvent } from 'react';
import { teamKeys, useWorkspaceSettings, type WorkspaceSettings } from '../api/queries/team.queries.ts';
import { meKey } from '../api/queries/session.queries.ts';
import { useCan } from '../api/queries/use-can.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { PageHeader } from '../shell/page-header.tsx';

type Hours = WorkspaceSettings['businessHours'];
type Day = keyof Hours;

const DAYS: { key: Day; label: string }[] = [
  { key: 'monday', label: 'Monday' },
  { key: 'tuesday', label: 'Tuesday' },
  { key: 'wednesday', label: 'Wednesday' },
  { key: 'thursday', label: 'Thursday' },
  { key: 'friday', label: 'Friday' },
  { key: 'saturday', label: 'Saturday' },
  { key: 'sunday', label: 'Sunday' },
];
/**
 * The browser's time zones, UTC first: Chromium's list has no "UTC" (the server's default), and a
 * value missing from its list leaves the field blank.
 */
const TIME_ZONES: string[] = [
  'UTC',
  ...(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC') : []),
];
/** The list with the workspace's own zone in it, whatever the browser knows. */
const zonesWith = (current: string) => (TIME_ZONES.includes(current) ? TIME_ZONES : [current, ...TIME_ZONES]);

/** The workspace's name, time zone and business hours (read by flows' Business hours and Delay nodes). */
export function WorkspaceSettingsPage() {
  const workspace = useWorkspaceSettings();
  const manages = useCan('workspace.manage') === true;
  return (
    <>
      <PageHeader
        title="Workspace"
        description="Its name, the time zone that schedules and flows read, and the business hours flows can follow."
      />
      <QueryState query={workspace} label="the workspace">
        {(data) => <SettingsForm key={data.id} workspace={data} manages={manages} />}
      </QueryState>
    </>
  );
}

function SettingsForm({ workspace, manages }: { workspace: WorkspaceSettings; manages: boolean }) {
  const [name, setName] = useState(workspace.name);
  const [timezone, setTimezone] = useState<string | null>(workspace.timezone);
  const [hours, setHours] = useState<Hours>(workspace.businessHours);
  const save = useApiMutation(
    (api, body: { name: string; timezone: string; businessHours: Hours }) => api.patch<WorkspaceSettings>('/workspace', body),
    {
      invalidates: [teamKeys.workspace, meKey],
      success: 'Workspace settings saved.',
    },
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate({ name: name.trim(), timezone: timezone ?? workspace.timezone, businessHours: hours });
  }
  const setDay = (day: Day, intervals: Hours[Day]) => setHours({ ...hours, [day]: intervals });
  return (
    <Card withBorder component="form" onSubmit={submit} aria-label="Workspace settings">
      <Stack gap="md">
        <Group align="flex-start" gap="sm" wrap="wrap">
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            maxLength={200}
            disabled={!manages}
            w={320}
          />
          <Select
            label="Time zone"
            data={zonesWith(workspace.timezone)}
            value={timezone}
            onChange={setTimezone}
            searchable
            allowDeselect={false}
            disabled={!manages}
            w={280}
            description="Schedules, delays and business hours read this clock"
            inputWrapperOrder={['label', 'input', 'description']}
          />
        </Group>
        <Stack gap={4}>
          <Title order={2} size="h4" id="hours-title">
            Business hours
          </Title>
          <Text size="sm" c="dimmed">
            A flow's Business hours node (unless it has hours of its own) and a Delay "until business hours open" follow these, in the
            workspace's time zone.
          </Text>
        </Stack>
        <Table aria-labelledby="hours-title" verticalSpacing="xs" withRowBorders={false}>
          <Table.Tbody>
            {DAYS.map(({ key, label }) => (
              <Table.Tr key={key}>
                <Table.Td w={160}>
                  <Checkbox
                    label={label}
                    checked={hours[key].length > 0}
                    disabled={!manages}
                    onChange={(e) => setDay(key, e.currentTarget.checked ? [{ from: '09:00', to: '17:00' }] : [])}
                  />
                </Table.Td>
                <Table.Td>
                  {hours[key].length === 0 ? (
                    <Text size="sm" c="dimmed">
                      Closed
                    </Text>
                  ) : (
                    <Stack gap={6}>
                      {hours[key].map((interval, i) => (
                        <Group key={i} gap="xs" wrap="nowrap">
                          <TimeInput
                            aria-label={`${label} opens at`}
                            value={interval.from}
                            disabled={!manages}
                            onChange={(e) =>
                              setDay(
                                key,
                                hours[key].map((x, j) => (j === i ? { ...x, from: e.currentTarget.value } : x)),
                              )
                            }
                          />
                          <Text size="sm">to</Text>
                          <TimeInput
                            aria-label={`${label} closes at`}
                            value={interval.to === '24:00' ? '23:59' : interval.to}
                            disabled={!manages}
                            onChange={(e) =>
                              setDay(
                                key,
                                hours[key].map((x, j) =>
                                  j === i ? { ...x, to: e.currentTarget.value === '23:59' ? '24:00' : e.currentTarget.value } : x,
                                ),
                              )
                            }
                          />
                          {manages && hours[key].length > 1 && (
                            <ActionIcon
                              variant="subtle"
                              aria-label={`Remove these ${label} hours`}
                              onClick={() =>
                                setDay(
                                  key,
                                  hours[key].filter((_, j) => j !== i),
                                )
                              }
                            >
                              ✕
                            </ActionIcon>
                          )}
                          {manages && i === hours[key].length - 1 && hours[key].length < 6 && (
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              onClick={() => setDay(key, [...hours[key], { from: '14:00', to: '18:00' }])}
                            >
                              Add hours
                            </Button>
                          )}
                        </Group>
                      ))}
                    </Stack>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {manages ? (
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            Only owners and admins change these.
          </Text>
        )}
      </Stack>
    </Card>
  );
}
