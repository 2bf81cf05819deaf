import { z } from 'zod';
import { ElementIdSchema } from '../flow-identifiers.ts';
import { defineNode } from '../node-definition.ts';

export const AbSplitConfigSchema = z
  .strictObject({
    /** Each branch's id is its port id; weights are relative (30/70, or 1/1/1). */
    branches: z
      .array(z.strictObject({ id: ElementIdSchema, label: z.string().trim().min(1).max(60), weight: z.number().int().min(0).max(1_000) }))
      .min(2)
      .max(10),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.branches.forEach((b, i) => {
      if (seen.has(b.id)) ctx.addIssue({ code: 'custom', path: ['branches', i, 'id'], message: `the branch id "${b.id}" is used twice` });
      seen.add(b.id);
    });
    if (config.branches.every((b) => b.weight === 0))
      ctx.addIssue({ code: 'custom', path: ['branches'], message: 'at least one branch needs a weight above 0' });
  });
export type AbSplitConfig = z.output<typeof AbSplitConfigSchema>;

export const abSplitNode = defineNode({
  type: 'ab_split',
  category: 'logic',
  label: 'A/B split',
  description: 'Sends each run down one branch at random, in proportion to the weights.',
  configSchema: AbSplitConfigSchema,
  defaultConfig: {
    branches: [
      { id: 'a', label: 'A', weight: 50 },
      { id: 'b', label: 'B', weight: 50 },
    ],
  },
  waits: false,
  outputs: (config) => config.branches.map((b) => ({ id: b.id, label: `${b.label} (${b.weight})` })),
});
