import { z } from 'zod';
import { ElementIdSchema } from './flow-identifiers.ts';
import { NODE_CATALOG, type CatalogEntry } from './node-catalog.ts';
import type { NodeDefinition } from './node-definition.ts';

/** The version of the document shape; a new shape gets a new number and a migration. */
export const FLOW_SCHEMA_VERSION = 1;
/** Most nodes in one flow. */
export const MAX_FLOW_NODES = 1_000;
/** Most edges in one flow (two per node leaves room for switches and splits). */
export const MAX_FLOW_EDGES = 2_000;
/** Largest canvas coordinate, in editor pixels. */
const MAX_COORDINATE = 1_000_000;

export const PositionSchema = z.strictObject({
  x: z.number().finite().min(-MAX_COORDINATE).max(MAX_COORDINATE),
  y: z.number().finite().min(-MAX_COORDINATE).max(MAX_COORDINATE),
});
export type Position = z.output<typeof PositionSchema>;

/** Name the user gave a node on the canvas ("Ask for email"); the catalog label when absent. */
export const NodeLabelSchema = z.string().trim().min(1).max(100);

/** A connection from an output port (`sourceHandle`) of one node to another node. */
export const FlowEdgeSchema = z.strictObject({
  id: ElementIdSchema,
  source: ElementIdSchema,
  sourceHandle: ElementIdSchema,
  target: ElementIdSchema,
});
export type FlowEdge = z.output<typeof FlowEdgeSchema>;

/** The fields every node has, whatever its type; `config` is checked against the catalog. */
export const NodeShellSchema = z.strictObject({
  id: ElementIdSchema,
  type: z.string().min(1).max(64),
  label: NodeLabelSchema.optional(),
  config: z.unknown(),
  position: PositionSchema,
});

function nodeSchemaFor<T extends string, S extends z.ZodType>(definition: NodeDefinition<T, S>) {
  return z.strictObject({
    id: ElementIdSchema,
    type: z.literal(definition.type),
    label: NodeLabelSchema.optional(),
    config: definition.configSchema,
    position: PositionSchema,
  });
}

type FlowNodeFor<D> =
  D extends NodeDefinition<infer T, infer S>
    ? { id: string; type: T; label?: string | undefined; config: z.output<S>; position: Position }
    : never;
type FlowNodeInputFor<D> =
  D extends NodeDefinition<infer T, infer S>
    ? { id: string; type: T; label?: string | undefined; config: z.input<S>; position: Position }
    : never;

/** A node of a valid flow: a discriminated union on `type`, each with its own parsed config. */
export type FlowNode = FlowNodeFor<CatalogEntry>;
/** A node as written in a document (config defaults may be missing). */
export type FlowNodeInput = FlowNodeInputFor<CatalogEntry>;
/** The node of one kind. */
export type FlowNodeOfType<T extends FlowNode['type']> = Extract<FlowNode, { type: T }>;

type AnyNodeSchema = ReturnType<typeof nodeSchemaFor>;
const nodeSchemas = NODE_CATALOG.map((definition) => nodeSchemaFor(definition as NodeDefinition));

/**
 * One node, discriminated on `type` from the catalog. The union is built from the catalog at
 * run time, so its static type is declared (FlowNode) rather than inferred.
 */
export const FlowNodeSchema = z.discriminatedUnion('type', nodeSchemas as [AnyNodeSchema, ...AnyNodeSchema[]]) as unknown as z.ZodType<
  FlowNode,
  FlowNodeInput
>;

/**
 * The flow document shared by the editor, the API and the engine. Parsing with it checks shape
 * and configs only; `validateFlow` also checks the graph and the expressions and reports every
 * problem, and is what publishing must use.
 */
export const FlowSchema = z.strictObject({
  schemaVersion: z.literal(FLOW_SCHEMA_VERSION),
  nodes: z.array(FlowNodeSchema).max(MAX_FLOW_NODES),
  edges: z.array(FlowEdgeSchema).max(MAX_FLOW_EDGES),
});
export type Flow = z.output<typeof FlowSchema>;
export type FlowInput = z.input<typeof FlowSchema>;
