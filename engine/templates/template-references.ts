import { findNodeDefinition } from '../flows/node-catalog.ts';

/** A node and the saved message template it sends. */
export interface TemplateReference {
  nodeId: string;
  templateId: string;
}

/**
 * The saved templates a flow document sends, per node (`messageTemplates` of each node kind's
 * expressions). Nodes whose config does not parse are skipped: validation reports them.
 */
export function templateReferences(document: { nodes: readonly { id: string; type: string; config: unknown }[] }): TemplateReference[] {
  const refs: TemplateReference[] = [];
  for (const node of document.nodes) {
    const definition = findNodeDefinition(node.type);
    const config = definition?.configSchema.safeParse(node.config);
    if (!definition?.expressions || !config?.success) continue;
    for (const { templateId } of definition.expressions(config.data).messageTemplates ?? []) refs.push({ nodeId: node.id, templateId });
  }
  return refs;
}
