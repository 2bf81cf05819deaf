import type { EntityManager } from '@mikro-orm/postgresql';
import type { ValidateFlowOptions } from '../../engine/flows/validate-flow.ts';
import { workspaceSecretNames } from '../secrets/workspace-secrets.ts';
import { workspaceTemplateIds } from '../templates/template-store.ts';

/**
 * What a workspace's flows are validated against when saved, tested or published: its secret
 * names (a `{{secrets.NAME}}` naming none is a problem) and its saved templates (a node sending
 * a deleted one is a problem).
 */
export async function flowValidationOptions(em: EntityManager, workspaceId: string): Promise<ValidateFlowOptions> {
  // One after the other: the queries share the transaction's connection.
  const secretNames = await workspaceSecretNames(em, workspaceId);
  const templateIds = await workspaceTemplateIds(em, workspaceId);
  return { secretNames, templateIds };
}
