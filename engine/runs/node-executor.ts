import type { HTTP_METHODS } from '../flows/nodes/http-request.node.ts';
import type { SecretResolver } from '../ports/secret-resolver.port.ts';
import type { MessageTemplateVersion } from '../templates/message-template.ts';
import type { Effect, Resume, RunFacts, RunState, RunWait } from './run-types.ts';

type HttpMethod = (typeof HTTP_METHODS)[number];

/** An HTTP call made by a flow; the runtime implements it with the SSRF-guarded client. */
export interface FlowHttpPort {
  /** `sameOriginRedirectsOnly`: the request carries secrets; a redirect to another origin fails instead of being followed. */
  request(req: {
    method: HttpMethod;
    url: string;
    headers: Record<string, string>;
    body?: unknown;
    timeoutMs: number;
    sameOriginRedirectsOnly?: boolean;
  }): Promise<{ status: number; headers: Record<string, string>; body: unknown }>;
}

/** Everything a node executor may read; it returns changes instead of mutating any of it. */
export interface NodeContext {
  nodeId: string;
  facts: Readonly<RunFacts>;
  state: Readonly<RunState>;
  /** Set when the node is being woken from its own wait. */
  resume?: Resume;
  now: Date;
  /** A number in [0, 1); injected so that A/B splits are testable. */
  random(): number;
  http: FlowHttpPort;
  /** The run's workspace secrets; only the HTTP request executor reads them. */
  secrets: SecretResolver;
  /** The saved template versions the run's flow version pinned, by template id (send_message reads them). */
  templates: ReadonlyMap<string, MessageTemplateVersion>;
}

/** What one execution of a node decides. */
export interface NodeResult {
  /** The output port to follow; null or absent with no wait ends the run. */
  port?: string | null;
  /** Suspend the run on this node until a reply or a timer. */
  wait?: RunWait;
  effects?: Effect[];
  /** The new state, when the node changes it. */
  state?: RunState;
  /** Recorded on the step (secrets redacted by the runtime). */
  output?: unknown;
  /** End the run as stopped with this reason (a limit, an opt-out). */
  stop?: { reason: string };
}

/** Executes one node kind with its parsed config. */
export type NodeExecutor<TConfig = unknown> = (config: TConfig, ctx: NodeContext) => Promise<NodeResult> | NodeResult;
