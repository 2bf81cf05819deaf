import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  FileInput,
  Group,
  Modal,
  MultiSelect,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { attributeNameOf, detectDelimiter, guessColumns, type ImportColumns } from '../../../engine/contacts/contact-import.ts';
import {
  contactListKeys,
  useContactImport,
  useStartImport,
  useUploadImport,
  type ContactImport,
} from '../api/queries/contact-list.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { messageOf } from '../error-message.ts';
import { COUNTRY_OPTIONS } from './countries.ts';

/** Bytes of the file read in the browser to show its columns (the header line). */
const HEADER_PEEK_BYTES = 64 * 1024;

/** The header of a CSV file, read from its first bytes; the file itself is streamed by the upload. */
async function readHeader(file: File): Promise<string[]> {
  const head = await file.slice(0, HEADER_PEEK_BYTES).text();
  const line = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = detectDelimiter(line);
  // Header cells rarely hold quotes; a quoted cell loses its quotes here.
  return line.split(delimiter).map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
}

/** Import contacts from a CSV: choose the file and its columns, check it (dry run), then import; progress and problems live. */
export function ImportModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [importId, setImportId] = useState<string | null>(null);
  const close = () => {
    setImportId(null);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title="Import contacts from a CSV file" size="xl">
      {importId ? <ImportProgress importId={importId} onDone={close} /> : <ImportForm onStarted={(i) => setImportId(i.id)} />}
    </Modal>
  );
}

function ImportForm({ onStarted }: { onStarted: (i: ContactImport) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [header, setHeader] = useState<string[]>([]);
  const [columns, setColumns] = useState<ImportColumns | null>(null);
  const [country, setCountry] = useState<string | null>(null);
  const [onExisting, setOnExisting] = useState<'skip' | 'update'>('skip');
  const upload = useUploadImport(onStarted);

  useEffect(() => {
    if (!file) return;
    let live = true;
    void readHeader(file).then((h) => {
      if (!live) return;
      setHeader(h);
      setColumns(guessColumns(h) ?? { phone: '', name: null, tags: [], attributes: [] });
    });
    return () => {
      live = false;
    };
  }, [file]);

  const others = useMemo(
    () => header.filter((h) => columns && h !== columns.phone && h !== columns.name && !columns.tags.includes(h)),
    [header, columns],
  );
  const send = (dryRun: boolean) => {
    if (!file || !columns) return;
    upload.mutate({ file, options: { columns, defaultCountry: country, onExisting, dryRun } });
  };

  return (
    <Stack gap="md">
      <FileInput
        label="CSV file"
        placeholder="Choose a .csv file"
        accept=".csv,text/csv"
        value={file}
        onChange={setFile}
        description="Exported from a spreadsheet or another tool: one contact per row, a header row with the column names. Up to 1,000,000 rows."
        clearable
      />
      {columns && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label="Phone column"
              data={header}
              value={columns.phone || null}
              onChange={(v) => setColumns({ ...columns, phone: v ?? '' })}
              required
            />
            <Select
              label="Name column"
              data={header}
              value={columns.name}
              onChange={(v) => setColumns({ ...columns, name: v })}
              clearable
              placeholder="No name"
            />
            <MultiSelect
              label="Tag columns"
              data={header}
              value={columns.tags}
              onChange={(v) => setColumns({ ...columns, tags: v })}
              placeholder="None"
              description="Tags separated by commas"
            />
          </SimpleGrid>
          {others.length > 0 && (
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Other columns, kept as attributes
              </Text>
              {others.map((column) => {
                const mapped = columns.attributes.find((a) => a.column === column);
                return (
                  <Group key={column} gap="sm" wrap="nowrap">
                    <Checkbox
                      label={column}
                      w={220}
                      checked={mapped !== undefined}
                      onChange={(e) => {
                        const rest = columns.attributes.filter((a) => a.column !== column);
                        const attribute = attributeNameOf(column);
                        setColumns({
                          ...columns,
                          attributes: e.currentTarget.checked && attribute ? [...rest, { column, attribute }] : rest,
                        });
                      }}
                    />
                    {mapped && (
                      <TextInput
                        size="xs"
                        aria-label={`Attribute name for ${column}`}
                        value={mapped.attribute}
                        onChange={(e) =>
                          setColumns({
                            ...columns,
                            attributes: columns.attributes.map((a) =>
                              a.column === column ? { ...a, attribute: e.currentTarget.value } : a,
                            ),
                          })
                        }
                        description={`Used in messages as {{contact.${mapped.attribute}}}`}
                      />
                    )}
                  </Group>
                );
              })}
            </Stack>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Country of local numbers"
              description="Numbers written without +country code are read in this country"
              data={COUNTRY_OPTIONS}
              value={country}
              onChange={setCountry}
              searchable
              clearable
              placeholder="None: every number has its +country code"
            />
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Phones that are already contacts
              </Text>
              <SegmentedControl
                value={onExisting}
                onChange={(v) => setOnExisting(v as 'skip' | 'update')}
                fullWidth
                data={[
                  { value: 'skip', label: 'Keep them as they are' },
                  { value: 'update', label: 'Update them' },
                ]}
              />
            </Stack>
          </SimpleGrid>
        </>
      )}
      {upload.error && (
        <Alert color="red" title="The file cannot be imported">
          {messageOf(upload.error)}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button
          variant="default"
          disabled={!columns?.phone}
          loading={upload.isPending && upload.variables?.options.dryRun}
          onClick={() => send(true)}
        >
          Check the file first
        </Button>
        <Button disabled={!columns?.phone} loading={upload.isPending && !upload.variables?.options.dryRun} onClick={() => send(false)}>
          Import
        </Button>
      </Group>
    </Stack>
  );
}

const STATUS_WORDS: Record<ContactImport['status'], string> = {
  queued: 'Waiting to start…',
  running: 'Reading the file…',
  checked: 'Check finished: nothing was imported yet.',
  completed: 'Import finished.',
  failed: 'The import stopped.',
};

function ImportProgress({ importId, onDone }: { importId: string; onDone: () => void }) {
  const query = useContactImport(importId);
  const start = useStartImport();
  const queryClient = useQueryClient();
  const status = query.data?.status;
  // The list shows the new contacts once the import has written them.
  useEffect(() => {
    if (status === 'completed' || status === 'failed') void queryClient.invalidateQueries({ queryKey: contactListKeys.lists });
  }, [status, queryClient]);
  return (
    <QueryState query={query} label="import">
      {(i) => {
        const total = Math.max(i.rowsTotal, i.rowsDone, 1);
        const percent = i.status === 'completed' || i.status === 'checked' ? 100 : Math.min(100, Math.round((i.rowsDone / total) * 100));
        const would = i.dryRun ? 'would be ' : '';
        return (
          <Stack gap="md">
            <Text fw={500}>{STATUS_WORDS[i.status]}</Text>
            <Progress
              value={percent}
              size="lg"
              animated={i.status === 'running' || i.status === 'queued'}
              aria-label={`Import progress ${percent}%`}
            />
            <Text size="sm" c="dimmed" data-testid="import-rows">
              {i.rowsDone.toLocaleString()} of {total.toLocaleString()} rows read
            </Text>
            <Group gap="xl" data-testid="import-counts">
              <Figure label={`${would}added`} value={i.created} />
              <Figure label={`${would}updated`} value={i.updated} />
              <Figure label={`${would}left as they were`} value={i.skipped} />
              <Figure label="with problems" value={i.failed} color={i.failed > 0 ? 'red' : undefined} />
            </Group>
            {i.error && <Alert color={i.status === 'failed' ? 'red' : 'yellow'}>{i.error}</Alert>}
            {i.problems.length > 0 && (
              <Stack gap={4}>
                <Group justify="space-between">
                  <Text fw={500}>Rows that cannot be imported</Text>
                  <Anchor href={`/api/v1/contacts/imports/${i.id}/problems.csv`} download>
                    Download the error report (CSV)
                  </Anchor>
                </Group>
                <Table aria-label="Rows with problems" striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th w={70}>Row</Table.Th>
                      <Table.Th>In the file</Table.Th>
                      <Table.Th>Problem</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {i.problems.map((p) => (
                      <Table.Tr key={p.row}>
                        <Table.Td>{p.row}</Table.Td>
                        <Table.Td>
                          <Text size="sm" c="dimmed" lineClamp={1}>
                            {p.values
                              .filter((v) => v.trim())
                              .slice(0, 3)
                              .join(' · ')}
                          </Text>
                        </Table.Td>
                        <Table.Td>{p.problem}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
                {i.failed > i.problems.length && (
                  <Text size="sm" c="dimmed">
                    The first {i.problems.length} of {i.failed.toLocaleString()} are shown; the report has them all.
                  </Text>
                )}
              </Stack>
            )}
            <Group justify="flex-end">
              {i.status === 'checked' && (
                <Button onClick={() => start.mutate(i.id)} loading={start.isPending}>
                  Import {(i.created + i.updated).toLocaleString()} contacts
                </Button>
              )}
              <Button variant="default" onClick={onDone}>
                {i.status === 'queued' || i.status === 'running' ? 'Close (it continues)' : i.status === 'checked' ? 'Not now' : 'Close'}
              </Button>
            </Group>
          </Stack>
        );
      }}
    </QueryState>
  );
}

function Figure({ label, value, color }: { label: string; value: number; color?: string }) {
  return (
    <Stack gap={0}>
      <Text size="xl" fw={700} c={color}>
        {value.toLocaleString()}
      </Text>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
    </Stack>
  );
}
