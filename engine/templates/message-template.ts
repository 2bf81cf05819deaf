import { z } from 'zod';
import { MAX_SEND_TEXT_CHARS } from '../flows/nodes/send-message.node.ts';
import { parseTemplate, renderTemplateText, type TemplateContext } from '../flows/template.ts';

/*
 * A saved message template: what one version holds. Its text and media URL are the same
 * `{{…}}` templates a send_message node writes inline (engine/flows/template.ts renders both),
 * so a template sends exactly what the same words typed into the node would.
 *
 * Buttons and lists are not part of it: no channel's send path carries them today (the send
 * effect is text and a media URL), and WhatsApp Web refuses them for unofficial clients.
 */

/** Most language variants one template may hold. */
export const MAX_TEMPLATE_VARIANTS = 30;

/** A language tag as contacts' `language` attribute holds it: `en`, `pt-BR`, `es_MX` (any case). */
export const LanguageTagSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, 'a language code such as "en", "es" or "pt-BR"')
  .transform(normaliseLanguage);

/** `pt_BR` → `pt-br`: the form languages are compared in. */
export function normaliseLanguage(tag: string): string {
  return tag.trim().replace(/_/g, '-').toLowerCase();
}

/** A text template: checked once when written, so a send never finds a placeholder it cannot read. */
const TemplateText = z
  .string()
  .max(MAX_SEND_TEXT_CHARS)
  .superRefine((text, ctx) => {
    const parsed = parseTemplate(text);
    if (!parsed.ok) for (const p of parsed.problems) ctx.addIssue({ code: 'custom', message: `${p.message} (at character ${p.offset})` });
  });

export const TemplateVariantSchema = z
  .strictObject({
    language: LanguageTagSchema,
    /** The text (with {{variables}}); the caption when `mediaUrl` is set. */
    text: TemplateText.default(''),
    /** An http(s) URL (it may hold {{variables}}) the connector downloads and sends as media. */
    mediaUrl: z
      .string()
      .max(2_000)
      .regex(/^https?:\/\//i, 'must start with http:// or https://')
      .pipe(TemplateText)
      .optional(),
  })
  .refine((v) => v.text.trim() !== '' || v.mediaUrl !== undefined, { message: 'a variant needs text or a media URL', path: ['text'] });
export type TemplateVariant = z.output<typeof TemplateVariantSchema>;

/** What one version of a template says, in every language it has. */
export const TemplateContentSchema = z
  .strictObject({
    /** The variant a contact gets when none matches their `language` attribute (or they have none). */
    fallbackLanguage: LanguageTagSchema,
    variants: z.array(TemplateVariantSchema).min(1).max(MAX_TEMPLATE_VARIANTS),
  })
  .superRefine((content, ctx) => {
    const seen = new Set<string>();
    content.variants.forEach((v, i) => {
      if (seen.has(v.language))
        ctx.addIssue({
          code: 'custom',
          message: `the language "${v.language}" has two variants: keep one`,
          path: ['variants', i, 'language'],
        });
      seen.add(v.language);
    });
    if (!seen.has(content.fallbackLanguage))
      ctx.addIssue({
        code: 'custom',
        message: `the fallback language "${content.fallbackLanguage}" has no variant: add one or pick another fallback`,
        path: ['fallbackLanguage'],
      });
  });
export type TemplateContent = z.output<typeof TemplateContentSchema>;
export type TemplateContentInput = z.input<typeof TemplateContentSchema>;

/** One immutable version of a template, as sends read it. */
export interface MessageTemplateVersion {
  id: string;
  templateId: string;
  version: number;
  /** The template's name, for step records and errors. */
  name: string;
  content: TemplateContent;
}

/**
 * The variant for a contact's language: the exact tag (`pt-br`), else the same base language
 * (`pt-br` finds `pt`, `es` finds `es-mx`), else the fallback language's variant.
 */
export function pickVariant(content: TemplateContent, language: unknown): TemplateVariant {
  const fallback = content.variants.find((v) => v.language === content.fallbackLanguage) ?? (content.variants[0] as TemplateVariant);
  if (typeof language !== 'string' || language.trim() === '') return fallback;
  const wanted = normaliseLanguage(language);
  const base = wanted.split('-')[0];
  return (
    content.variants.find((v) => v.language === wanted) ??
    content.variants.find((v) => v.language === base) ??
    content.variants.find((v) => v.language.split('-')[0] === base) ??
    fallback
  );
}

/** The contact a preview renders for when none is named: every field filled, so every placeholder shows. */
export const SAMPLE_CONTACT = Object.freeze({
  id: '00000000-0000-4000-8000-000000000000',
  name: 'Alex Sample',
  phone: '+15550100123',
  attributes: {},
  tags: ['sample'],
});

/** The contact attribute that chooses a template's language variant. */
export const LANGUAGE_ATTRIBUTE = 'language';

/** A template rendered for one contact: the variant chosen and its filled-in text and media URL. */
export interface RenderedTemplate {
  language: string;
  text: string;
  mediaUrl: string | null;
}

/**
 * Renders the variant of `language` (a contact's `language` attribute, or one asked for) with
 * the same renderer and the same encoding of the media URL as a send_message step.
 */
export function renderTemplateContent(content: TemplateContent, language: unknown, context: TemplateContext): RenderedTemplate {
  const variant = pickVariant(content, language);
  return {
    language: variant.language,
    text: renderTemplateText(variant.text, context),
    mediaUrl: variant.mediaUrl === undefined ? null : renderTemplateText(variant.mediaUrl, context, { encode: encodeURIComponent }),
  };
}
