import { z } from 'zod';
import { LanguageTagSchema, TemplateContentSchema } from '../../engine/templates/message-template.ts';
import type { MessageTemplate, MessageTemplateVersionSummary } from '../../platform/templates/template-store.ts';

export const TemplateNameInput = z.string().trim().min(1).max(100);
export const TemplateContentInput = TemplateContentSchema;
/** A new template (POST /v1/templates); an edit (PATCH) sends either field. */
export const TemplateInput = z.strictObject({ name: TemplateNameInput, content: TemplateContentInput });

const VariantDto = z.object({ language: z.string(), text: z.string(), mediaUrl: z.string().optional() });
const ContentDto = z.object({ fallbackLanguage: z.string(), variants: z.array(VariantDto) });

/** A template with its current version. */
export const TemplateDto = z.object({
  id: z.uuid(),
  name: z.string(),
  /** The current version's number (1, 2, …) and id: what drafts, broadcasts and agents send now. */
  version: z.number().int(),
  versionId: z.uuid(),
  content: ContentDto,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const TemplateVersionDto = z.object({
  id: z.uuid(),
  version: z.number().int(),
  content: ContentDto,
  createdBy: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  createdAt: z.string(),
  /** Flows whose published version (`flowVersion`) sends this version of the template. */
  flows: z.array(z.object({ id: z.uuid(), name: z.string(), flowVersion: z.number().int(), active: z.boolean() })),
  /** Broadcasts that recorded this version when they started, most recent first (at most 20). */
  broadcasts: z.array(z.object({ id: z.uuid(), name: z.string(), state: z.string(), startedAt: z.string() })),
});

export const TemplatePreviewInput = z.strictObject({
  /** A contact of the workspace to render for; a sample contact ("Alex Sample") when absent. */
  contactId: z.uuid().optional(),
  /** The language to pick the variant for, instead of the contact's `language` attribute. */
  language: LanguageTagSchema.optional(),
});

export const TemplatePreviewDto = z.object({
  /** The variant chosen (the fallback when none matched). */
  language: z.string(),
  text: z.string(),
  mediaUrl: z.string().nullable(),
  contact: z.object({ id: z.uuid().nullable(), name: z.string().nullable(), sample: z.boolean() }),
});

export function toTemplateDto(t: MessageTemplate): z.infer<typeof TemplateDto> {
  return {
    id: t.id,
    name: t.name,
    version: t.version,
    versionId: t.versionId,
    content: t.content,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function toTemplateVersionDto(v: MessageTemplateVersionSummary): z.infer<typeof TemplateVersionDto> {
  return {
    id: v.id,
    version: v.version,
    content: v.content,
    createdBy: v.createdBy,
    createdAt: v.createdAt.toISOString(),
    flows: v.flows,
    broadcasts: v.broadcasts.map((b) => ({ ...b, startedAt: b.startedAt.toISOString() })),
  };
}
