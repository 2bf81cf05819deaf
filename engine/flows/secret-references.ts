import { findNodeDefinition } from './node-catalog.ts';
import { parseTemplate, secretNamesOf } from './template.ts';

/** A node and the secret it names. */
export interface SecretReference {
  nodeId: string;
  name: string;
}

/**
 * The secrets a flow document names, per node: every `{{secrets.NAME}}` in the templates its
 * node kinds allow secrets in. Nodes that do not parse are skipped (validation reports them).
 */
export function secretReferences(document: { nodes: readonly { id: string; type: string; config: unknown }[] }): SecretReference[] {
  const refs: SecretReference[] = [];
  for (const node of document.nodes) {
    const definition = findNodeDefinition(node.type);
    const config = definition?.configSchema.safeParse(node.config);
    if (!definition?.expressions || !config?.success) continue;
    const names = new Set<string>();
    for (const { source, allowsSecrets } of definition.expressions(config.data).templates ?? []) {
      if (!allowsSecrets) continue;
      const parsed = parseTemplate(source, { allowSecrets: true });
      if (parsed.ok) for (const name of secretNamesOf(parsed.template)) names.add(name);
    }
    for (const name of names) refs.push({ nodeId: node.id, name });
  }
  return refs;
}
