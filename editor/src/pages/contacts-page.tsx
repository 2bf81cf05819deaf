import { Anchor, Badge, Button, Checkbox, Collapse, Group, Paper, Select, Stack, Table, TagsInput, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link } from 'react-router';
import type { BulkTarget } from '../api/api-types.ts';
import { filterQuery, useBulkTags, useContactList, type ContactListFilter, type ContactSort } from '../api/queries/contact-list.queries.ts';
import { useCan } from '../api/queries/use-can.ts';
import { QueryState } from '../api/query-state.tsx';
import { DEFAULT_SEGMENT_RULE } from '../broadcasts/broadcast-draft.ts';
import { ImportModal } from '../contacts/import-modal.tsx';
import { NewContactModal } from '../contacts/new-contact-modal.tsx';
import { ConditionBuilder } from '../forms/condition-builder.tsx';
import { SEGMENT_VARIABLES } from '../forms/template-variables.ts';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

const SORT_OPTIONS: { value: ContactSort; label: string }[] = [
  { value: 'newest', label: 'Newest first' },
  { value: 'oldest', label: 'Oldest first' },
  { value: 'name', label: 'Name, A to Z' },
  { value: 'last_seen', label: 'Last message from them' },
];
/** Typing pauses this long before the list is searched again. */
const SEARCH_DEBOUNCE_MS = 300;

/** The workspace's contacts: search, segment filter, sort, bulk tags, import and export. */
export function ContactsPage() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, SEARCH_DEBOUNCE_MS);
  const [segmentOn, setSegmentOn] = useState(false);
  const [rule, setRule] = useState<unknown>(DEFAULT_SEGMENT_RULE);
  const [sort, setSort] = useState<ContactSort>('newest');
  const filter: ContactListFilter = { q, segment: segmentOn ? rule : null, sort };
  const list = useContactList(filter);
  const manage = useCan('contacts.manage');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [wholeFilter, setWholeFilter] = useState(false);
  const [importing, setImporting] = useState(false);
  const [creating, setCreating] = useState(false);
  const contacts = list.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = q.trim() !== '' || segmentOn;
  const exportHref = `/api/v1/contacts/export.csv?${filterQuery(filter)}`;

  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
    setWholeFilter(false);
  };
  const allShown = contacts.length > 0 && contacts.every((c) => selected.has(c.id));

  return (
    <>
      <PageHeader
        title="Contacts"
        description="Everyone your channels talk to. Search them, pick a segment, tag them in bulk, import or export a CSV."
        actions={
          manage && (
            <>
              <Button variant="default" component="a" href={exportHref} download>
                Export CSV
              </Button>
              <Button variant="default" onClick={() => setImporting(true)}>
                Import CSV
              </Button>
              <Button onClick={() => setCreating(true)}>New contact</Button>
            </>
          )
        }
      />
      <Stack gap="md">
        <Group align="flex-end" gap="sm">
          <TextInput
            label="Search"
            placeholder="Name, phone, tag or attribute value"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Select
            label="Sort"
            data={SORT_OPTIONS}
            value={sort}
            onChange={(v) => setSort((v as ContactSort | null) ?? 'newest')}
            allowDeselect={false}
            w={220}
          />
          <Button variant={segmentOn ? 'filled' : 'default'} onClick={() => setSegmentOn((on) => !on)} aria-expanded={segmentOn}>
            {segmentOn ? 'Remove the segment filter' : 'Filter by segment'}
          </Button>
        </Group>
        <Collapse expanded={segmentOn}>
          {segmentOn && (
            <Paper withBorder p="md" radius="md">
              <ConditionBuilder label="Contacts who match" value={rule} variables={SEGMENT_VARIABLES} fields="segment" onChange={setRule} />
            </Paper>
          )}
        </Collapse>
        {manage && (selected.size > 0 || wholeFilter) && (
          <BulkTagBar
            count={wholeFilter ? null : selected.size}
            target={
              wholeFilter
                ? { kind: 'filter', filter: { q: filter.q || undefined, segment: filter.segment ?? undefined } }
                : { kind: 'ids', ids: [...selected] }
            }
            canWholeFilter={!wholeFilter && allShown && Boolean(list.hasNextPage)}
            onWholeFilter={() => setWholeFilter(true)}
            onClear={() => {
              setSelected(new Set());
              setWholeFilter(false);
            }}
          />
        )}
        <QueryState query={list} label="contacts">
          {() =>
            contacts.length === 0 ? (
              filtered ? (
                <EmptyState title="No contact matches">Try fewer words, or another segment.</EmptyState>
              ) : (
                <EmptyState
                  title="No contacts yet"
                  action={manage ? <Button onClick={() => setImporting(true)}>Import a CSV file</Button> : undefined}
                >
                  Contacts appear when people message your channels, or import them from a spreadsheet.
                </EmptyState>
              )
            ) : (
              <Paper withBorder radius="md">
                <Table aria-label="Contacts" verticalSpacing="xs" highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      {manage && (
                        <Table.Th w={40}>
                          <Checkbox
                            aria-label="Select every contact shown"
                            checked={allShown}
                            onChange={(e) => setSelected(e.currentTarget.checked ? new Set(contacts.map((c) => c.id)) : new Set())}
                          />
                        </Table.Th>
                      )}
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Phone</Table.Th>
                      <Table.Th>Tags</Table.Th>
                      <Table.Th>Added</Table.Th>
                      <Table.Th>Last message</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {contacts.map((c) => (
                      <Table.Tr key={c.id}>
                        {manage && (
                          <Table.Td>
                            <Checkbox
                              aria-label={`Select ${c.name ?? c.phone ?? 'contact'}`}
                              checked={wholeFilter || selected.has(c.id)}
                              onChange={(e) => toggle(c.id, e.currentTarget.checked)}
                            />
                          </Table.Td>
                        )}
                        <Table.Td>
                          <Anchor component={Link} to={`/contacts/${c.id}`}>
                            {c.name ?? 'No name'}
                          </Anchor>
                          {c.optedOut && (
                            <Badge ml="xs" size="xs" color="gray">
                              opted out
                            </Badge>
                          )}
                        </Table.Td>
                        <Table.Td>{c.phone ?? '—'}</Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {c.tags.slice(0, 5).map((t) => (
                              <Badge key={t} variant="light" size="sm" tt="none">
                                {t}
                              </Badge>
                            ))}
                            {c.tags.length > 5 && <Text size="xs">+{c.tags.length - 5}</Text>}
                          </Group>
                        </Table.Td>
                        <Table.Td>{new Date(c.createdAt).toLocaleDateString()}</Table.Td>
                        <Table.Td>{c.lastSeenAt ? new Date(c.lastSeenAt).toLocaleString() : 'Never'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Paper>
            )
          }
        </QueryState>
        {list.hasNextPage && (
          <Group justify="center">
            <Button variant="default" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
              Show more
            </Button>
          </Group>
        )}
      </Stack>
      <ImportModal opened={importing} onClose={() => setImporting(false)} />
      <NewContactModal opened={creating} onClose={() => setCreating(false)} />
    </>
  );
}

/** Tags added to or removed from the selected contacts, or from every contact of the filter. */
function BulkTagBar({
  count,
  target,
  canWholeFilter,
  onWholeFilter,
  onClear,
}: {
  count: number | null;
  target: BulkTarget;
  canWholeFilter: boolean;
  onWholeFilter: () => void;
  onClear: () => void;
}) {
  const [tags, setTags] = useState<string[]>([]);
  const bulk = useBulkTags();
  const run = (action: 'add' | 'remove') => bulk.mutate({ action, tags, target }, { onSuccess: () => setTags([]) });
  return (
    <Paper withBorder p="sm" radius="md" aria-label="Tag the selection">
      <Group gap="sm" align="flex-end">
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {count === null ? 'Every contact matching the filter' : `${count} selected`}
          </Text>
          <Group gap="xs">
            {canWholeFilter && (
              <Anchor component="button" size="sm" onClick={onWholeFilter}>
                Select every contact matching the filter
              </Anchor>
            )}
            <Anchor component="button" size="sm" onClick={onClear}>
              Clear the selection
            </Anchor>
          </Group>
        </Stack>
        <TagsInput label="Tags" placeholder="Type a tag, press Enter" value={tags} onChange={setTags} style={{ flex: 1 }} />
        <Button disabled={tags.length === 0} loading={bulk.isPending && bulk.variables?.action === 'add'} onClick={() => run('add')}>
          Add tags
        </Button>
        <Button
          variant="default"
          disabled={tags.length === 0}
          loading={bulk.isPending && bulk.variables?.action === 'remove'}
          onClick={() => run('remove')}
        >
          Remove tags
        </Button>
      </Group>
    </Paper>
  );
}
