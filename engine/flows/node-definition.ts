import type { z } from 'zod';

/** Where a node sits in the editor's palette; triggers start runs and take no incoming edge. */
export type NodeCategory = 'trigger' | 'logic' | 'action';

/** An output handle of a node; an edge's `sourceHandle` names one of these by `id`. */
export interface OutputPort {
  readonly id: string;
  readonly label: string;
}

/** A path inside a node's config, from the config's root. */
export type ConfigPath = readonly (string | number)[];

/** The expressions in a config that validation checks beyond the zod schema. */
export interface NodeExpressions {
  readonly jsonLogic?: readonly { readonly path: ConfigPath; readonly rule: unknown }[];
  readonly regexes?: readonly { readonly path: ConfigPath; readonly pattern: string; readonly caseInsensitive: boolean }[];
  /** `allowsSecrets`: the template may name `{{secrets.NAME}}` (an HTTP request's URL, headers and body only). */
  readonly templates?: readonly { readonly path: ConfigPath; readonly source: string; readonly allowsSecrets?: boolean }[];
  /** Saved message templates the node sends by id; validation checks they exist when the caller knows the workspace's templates. */
  readonly messageTemplates?: readonly { readonly path: ConfigPath; readonly templateId: string }[];
  /** Text sent to an outside system (an HTTP request's URL, headers, body); validation warns when its literal part looks like a credential. */
  readonly outgoingText?: readonly { readonly path: ConfigPath; readonly value: string; readonly headerName?: string }[];
}

/**
 * Everything the editor and the validator know about one node kind. Execution is not here: the
 * runtime keeps its own table of executors keyed by `type` (see the README), so that this module
 * stays pure and the editor's bundle carries no engine code.
 */
export interface NodeDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly category: NodeCategory;
  readonly label: string;
  readonly description: string;
  readonly configSchema: TSchema;
  /** The config the palette puts on a new node; it passes `configSchema` unless the user must choose something first (a flow to start). */
  readonly defaultConfig: z.input<TSchema>;
  /** True when the node suspends the run (a delayed job or a reply): a cycle through it is allowed. */
  readonly waits: boolean;
  /**
   * True when executing the node waits on a system outside the product (an HTTP request): the
   * run's transaction may then last seconds, so such runs are not handled in a shared batch.
   */
  readonly callsOut?: boolean;
  /** The node's output ports for a valid config, in the order the editor draws them. */
  outputs(config: z.output<TSchema>): readonly OutputPort[];
  /** json-logic rules, regexes and templates inside a valid config, with their paths. */
  expressions?(config: z.output<TSchema>): NodeExpressions;
}

/** Declares a node kind, keeping its literal type name and its config types. */
export function defineNode<const TType extends string, TSchema extends z.ZodType>(
  definition: NodeDefinition<TType, TSchema>,
): NodeDefinition<TType, TSchema> {
  return Object.freeze(definition);
}

/** The single output of a node that simply continues. */
export const NEXT_PORT: OutputPort = Object.freeze({ id: 'out', label: 'Next' });
/** No output: the run ends at this node. */
export const NO_PORTS: readonly OutputPort[] = Object.freeze([]);
