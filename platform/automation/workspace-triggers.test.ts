import { describe, expect, it } from 'vitest';
import { doc, edge, node } from '../../engine/flows/flow-document.fixture.ts';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import type { Logger } from '../logger.ts';
import type { ActiveFlow } from './flow-cache.ts';
import { buildTriggerIndex } from './workspace-triggers.ts';

const WORKSPACE = 'ws-1';

/** A flow as it may sit in the database from before patterns ran on RE2: validated then, refused now. */
function publishedBeforeRe2(flowId: string, pattern: string): ActiveFlow {
  const result = validateFlow(
    doc([node('t', 'message_received', { match: { kind: 'regex', pattern: 'x' } }), node('e', 'end')], [edge('t', 'out', 'e')]),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const trigger = result.flow.nodes[0];
  if (trigger?.type !== 'message_received') throw new Error('fixture');
  trigger.config.match = { kind: 'regex', pattern, caseInsensitive: true };
  return {
    flowId,
    versionId: `${flowId}-v1`,
    version: 1,
    document: result.flow,
    publishedAt: new Date(Date.UTC(2025, 0, 1)),
    priority: 0,
    name: flowId,
    firstPublishedAt: new Date(Date.UTC(2025, 0, 1)),
  };
}

function recordingLogger(): { logger: Logger; warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  return { logger: { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger, warnings };
}

describe('when an active flow has a trigger pattern RE2 cannot compile', () => {
  it('leaves that trigger out of the index and logs which flow, node and why', () => {
    const { logger, warnings } = recordingLogger();
    const index = buildTriggerIndex([publishedBeforeRe2('f', '(a)\\1'), publishedBeforeRe2('g', '^(a+)+$')], WORKSPACE, logger);
    expect(index.triggers.map((t) => t.flowId)).toEqual(['g']);
    expect(warnings).toEqual([
      [
        { workspaceId: WORKSPACE, flowId: 'f', nodeId: 't', reason: expect.stringContaining('refers back to an earlier group') },
        'trigger left out of the trigger index',
      ],
    ]);
  });
});
