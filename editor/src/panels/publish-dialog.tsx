import { Alert, Button, Group, List, Loader, Modal, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { isBlocking, type FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { ApiError } from '../api/api-client.ts';
import type { FlowDetail, FlowSummary, PublishAnswer } from '../api/api-types.ts';
import { flowKeys, flowVersionQuery, useTriggerOverlaps } from '../api/queries/flows.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';
import type { DraftSaver } from '../canvas/use-draft-saver.ts';
import { messageOf } from '../error-message.ts';

/** Why the server refused to publish, in words. */
function publishRefusal(err: unknown): string {
  if (err instanceof ApiError && err.code === 'flow_invalid') return 'The server found problems in the flow: fix them first.';
  if (err instanceof ApiError && err.code === 'draft_conflict') return 'The draft was changed in another tab: reload before publishing.';
  return messageOf(err);
}

/**
 * Publishing with a note. Refused here while the draft has problems (the API refuses too); the
 * draft is saved first and published at that exact revision, so a stale tab cannot publish.
 * Before publishing it says which other active flows answer the same messages and which one
 * wins, and lets the person change this flow's priority.
 */
export function PublishDialog({
  flow,
  problems,
  saver,
  onClose,
  onPriority,
  onPublished,
  onShowProblems,
}: {
  flow: FlowDetail;
  problems: readonly FlowProblem[];
  saver: DraftSaver;
  onClose: () => void;
  onPriority: (priority: number) => void;
  onPublished: (flow: FlowSummary, version: number, document: unknown) => void;
  onShowProblems: () => void;
}) {
  const queryClient = useQueryClient();
  // Warnings are shown in the problems list; only blocking problems keep the flow from publishing.
  const blocking = problems.filter(isBlocking);
  const overlaps = useTriggerOverlaps(flow.id, blocking.length === 0, () => saver.flush());
  const [priority, setPriority] = useState<number | string>(flow.priority ?? 0);
  const [note, setNote] = useState('');

  const savePriority = useApiMutation((api, value: number) => api.patch(`/flows/${flow.id}`, { priority: value }), {
    invalidates: [flowKeys.overlaps(flow.id), flowKeys.list()],
    onSuccess: (_, value) => onPriority(value),
  });
  const publish = useApiMutation(
    async (api, text: string) => {
      await saver.flush();
      const answer = await api.post<PublishAnswer>(`/flows/${flow.id}/publish`, {
        ...(text ? { note: text } : {}),
        baseRevision: saver.revision(),
      });
      const published = await queryClient.fetchQuery(flowVersionQuery(api, flow.id, answer.version.version));
      return { flow: answer.flow, version: answer.version.version, document: published.document };
    },
    {
      invalidates: [flowKeys.versions(flow.id), flowKeys.list()],
      notifyError: false,
      onSuccess: (result) => onPublished(result.flow, result.version, result.document),
    },
  );

  const priorityValid = typeof priority === 'number' && Number.isInteger(priority) && priority >= -1000 && priority <= 1000;

  function submit(event: FormEvent) {
    event.preventDefault();
    publish.mutate(note.trim());
  }

  return (
    <Modal opened onClose={onClose} title="Publish this flow" size="lg" centered>
      {blocking.length > 0 ? (
        <Stack>
          <Alert color="red" variant="light" role="alert">
            Publishing is refused while the flow has {blocking.length} {blocking.length === 1 ? 'problem' : 'problems'}.
          </Alert>
          <Group>
            <Button data-autofocus onClick={onShowProblems}>
              Show the problems
            </Button>
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack component="form" onSubmit={submit}>
          {overlaps.isPending && (
            <Group gap="xs">
              <Loader size="xs" />
              <Text c="dimmed" size="sm">
                Checking other flows for the same triggers…
              </Text>
            </Group>
          )}
          {overlaps.data && overlaps.data.length > 0 && (
            // No title: Mantine would name the alert by it, and its name is what it is about.
            <Alert color="yellow" variant="light" role="alert" aria-label="Other flows answer the same messages">
              <Text size="sm">
                <strong>Other active flows answer some of the same messages.</strong> Only one flow starts per message:
              </Text>
              <List size="sm" my={4}>
                {overlaps.data.map((o) => (
                  <List.Item key={o.otherFlowId}>{o.message}</List.Item>
                ))}
              </List>
              <Text c="dimmed" size="xs">
                Which flow starts: the higher priority first, then the more specific trigger (exact keyword, starts with, contains, pattern,
                condition, any message), then the flow published first.
              </Text>
            </Alert>
          )}
          <Group align="flex-end" gap="xs">
            <NumberInput
              label="Priority of this flow"
              min={-1000}
              max={1000}
              step={1}
              allowDecimal={false}
              value={priority}
              onChange={setPriority}
              error={priorityValid ? undefined : 'Priority is a whole number from -1000 to 1000.'}
              style={{ flex: 1 }}
            />
            <Button
              variant="default"
              onClick={() => priorityValid && savePriority.mutate(priority)}
              loading={savePriority.isPending}
              disabled={!priorityValid || priority === (flow.priority ?? 0)}
            >
              Save priority
            </Button>
          </Group>
          <TextInput
            label="Note for this version (optional)"
            data-autofocus
            maxLength={500}
            placeholder="What changed"
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
          />
          {publish.error && (
            <Alert color="red" variant="light" role="alert">
              {publishRefusal(publish.error)}
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={publish.isPending}>
              Publish now
            </Button>
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
