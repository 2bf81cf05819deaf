import { randomInt } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { AppError, NotFoundError } from '../../engine/errors/app-error.ts';
import { FlowInvalidError } from '../../engine/errors/flow-invalid.error.ts';
import { FlowNotPublishedError } from '../../engine/errors/flow-not-published.error.ts';
import { MAX_TEXT_CHARS } from '../../engine/messages/message-content.ts';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { newId } from '../../platform/ids.ts';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import { TestMessageAcceptedDto } from '../dto/test-chat.dto.ts';
import { flowValidationOptions } from '../../platform/automation/flow-validation-options.ts';
import { pinTemplateVersions } from '../../platform/templates/template-store.ts';
import { defineRoute } from '../route.ts';
import { findFlow } from './flows.routes.ts';

/**
 * Test phones are in country code +999, which no country has: a test contact can never be a real
 * person's number, nor collide with a real contact of the workspace.
 */
const TEST_PHONE_PREFIX = '+999';
const TEST_CONTACT_NAME = 'Test contact';
const MAX_PHONE_TRIES = 5;

/** A row of a statement that selects or returns only an id (a flow version, a contact, a channel). */

/** A test contact: its phone is never null (the statement selects only those with one). */
const TestContactRow = z.object({ id: z.string(), phone: z.string() });

/** The test chat has no sandbox channel to talk through. */
class NoSandboxChannelError extends AppError {
  readonly code = 'no_sandbox_channel';
  readonly disposition = 'user';
  constructor() {
    super('the test chat talks through a sandbox channel and this workspace has none: add one (Channels → Add a sandbox)');
  }
}

/** The version a test message is pinned to: the published one, or a snapshot of the draft's current revision. */
async function pinnedVersion(
  em: EntityManager,
  workspaceId: string,
  flowId: string,
  target: 'draft' | 'published',
): Promise<{ versionId: string; label: string }> {
  const flow = await findFlow(em, workspaceId, flowId);
  if (target === 'published') {
    if (flow.publishedVersion == null) throw new FlowNotPublishedError(flow.id);
    const { rows } = await runSql(
      em,
      `select id from flow_versions where flow_id = :flowId and version = :version and test_revision is null`,
      { flowId: flow.id, version: flow.publishedVersion },
      { row: IdRow },
    );
    return { versionId: rows[0]!.id, label: `published version ${flow.publishedVersion}` };
  }
  const validation = validateFlow(flow.draft, await flowValidationOptions(em, workspaceId));
  if (!validation.ok) throw new FlowInvalidError(flow.id, validation.problems);
  // One snapshot per draft revision and saved templates' current versions: testing the same
  // draft again pins the same version until a template it sends is edited (then the test shows
  // the edit, as the next publish would), and a run that waits keeps the document and templates
  // it started on even when either changes meanwhile.
  const templateVersions = JSON.stringify(await pinTemplateVersions(em, workspaceId, validation.flow));
  await runSql(
    em,
    `insert into flow_versions (id, workspace_id, flow_id, version, document, note, test_revision, template_versions)
     values (:id, :workspaceId, :flowId, 0, cast(:document as jsonb), :note, :revision, cast(:templateVersions as jsonb))
     on conflict (flow_id, test_revision, template_versions) where test_revision is not null do nothing`,
    {
      id: newId(),
      workspaceId,
      flowId: flow.id,
      document: JSON.stringify(validation.flow),
      note: `test of draft revision ${flow.draftRevision}`,
      revision: flow.draftRevision,
      templateVersions,
    },
  );
  const { rows } = await runSql(
    em,
    `select id from flow_versions where flow_id = :flowId and test_revision = :revision and template_versions = cast(:templateVersions as jsonb)`,
    { flowId: flow.id, revision: flow.draftRevision, templateVersions },
    { row: IdRow },
  );
  return { versionId: rows[0]!.id, label: `draft (revision ${flow.draftRevision})` };
}

/** A test contact of the workspace: the one named, or a new one with a phone in +999. */
async function testContact(em: EntityManager, workspaceId: string, contactId: string | undefined): Promise<{ id: string; phone: string }> {
  if (contactId !== undefined) {
    const { rows } = await runSql(
      em,
      `select id, phone from contacts where id = :contactId and workspace_id = :workspaceId and is_test and phone is not null`,
      { contactId, workspaceId },
      { row: TestContactRow },
    );
    if (!rows[0]) throw new NotFoundError('test contact', contactId);
    return rows[0];
  }
  for (let attempt = 0; attempt < MAX_PHONE_TRIES; attempt++) {
    const phone = `${TEST_PHONE_PREFIX}${String(randomInt(0, 1e12)).padStart(12, '0')}`;
    const { rows } = await runSql(
      em,
      `insert into contacts (id, workspace_id, phone, name, is_test) values (:id, :workspaceId, :phone, :name, true)
       on conflict do nothing returning id`,
      { id: newId(), workspaceId, phone, name: TEST_CONTACT_NAME },
      { row: IdRow },
    );
    if (rows[0]) return { id: rows[0].id, phone };
  }
  throw new Error('no free test phone number after several tries');
}

export const testChatRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/flows/:id/test-chat/messages',
    summary:
      "Write to this flow as a test contact, through the workspace's sandbox channel: runs the draft (before publishing) or the published version, and only this flow's triggers. Without contactId a new test contact is created (test contacts never count in audiences or analytics)",
    tag: 'flows',
    auth: 'flows.write',
    status: 202,
    params: z.object({ id: z.uuid() }),
    body: z.strictObject({
      text: z.string().min(1).max(MAX_TEXT_CHARS),
      /** `draft`: the draft as saved now (it must have no problems); `published`: the version contacts get. */
      target: z.enum(['draft', 'published']),
      /** The test contact of earlier messages, to go on with the same conversation (a flow waiting for a reply). */
      contactId: z.uuid().optional(),
      /** Makes a retried request idempotent: the same id is stored once. */
      clientMessageId: z.string().min(1).max(100).optional(),
    }),
    response: TestMessageAcceptedDto,
    exampleBody: { text: 'hi', target: 'draft' },
    async handler({ deps, em, auth, params, body }) {
      const pinned = await pinnedVersion(em, auth.workspaceId, params.id, body.target);
      const { rows: channels } = await runSql(
        em,
        `select id from channels where workspace_id = :workspaceId and kind = 'sandbox' and deleted_at is null order by created_at, id limit 1`,
        { workspaceId: auth.workspaceId },
        { row: IdRow },
      );
      if (!channels[0]) throw new NoSandboxChannelError();
      const contact = await testContact(em, auth.workspaceId, body.contactId);
      // Through the inbound pipeline like any message: stored once (deduplicated by its id), then
      // drained in its conversation's order. The pin is read only for test contacts.
      const accepted = await deps.inbound.accept({
        channelId: channels[0].id,
        providerMessageId: body.clientMessageId ? `test:${contact.id}:${body.clientMessageId}` : newId(),
        from: { phone: contact.phone, name: TEST_CONTACT_NAME, externalIds: [] },
        type: 'text',
        text: body.text,
        metadata: { test: { flowId: params.id, flowVersionId: pinned.versionId } },
      });
      return {
        messageId: accepted.messageId,
        conversationId: accepted.conversationId,
        contactId: accepted.contactId,
        contactPhone: contact.phone,
        flowVersionId: pinned.versionId,
        testing: pinned.label,
        duplicate: accepted.duplicate,
      };
    },
  }),
];
