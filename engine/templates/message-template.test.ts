import { describe, expect, it } from 'vitest';
import { pickVariant, renderTemplateContent, TemplateContentSchema } from './message-template.ts';

const content = TemplateContentSchema.parse({
  fallbackLanguage: 'en',
  variants: [
    { language: 'en', text: 'Hello {{contact.name | "there"}}' },
    { language: 'pt_BR', text: 'Olá {{contact.name}}' },
    { language: 'es-MX', text: 'Hola {{contact.name}}' },
  ],
});

describe('when a contact language chooses the variant', () => {
  it.each([
    ['pt-br', 'pt-br'],
    ['PT_br', 'pt-br'],
    ['pt', 'pt-br'],
    ['es', 'es-mx'],
    ['es-AR', 'es-mx'],
    ['de', 'en'],
    ['', 'en'],
    [undefined, 'en'],
    [42, 'en'],
  ])('picks %s → %s', (language, expected) => {
    expect(pickVariant(content, language).language).toBe(expected);
  });

  it('renders the chosen variant like a send_message text', () => {
    expect(renderTemplateContent(content, 'pt', { contact: { name: 'Ana' } })).toEqual({
      language: 'pt-br',
      text: 'Olá Ana',
      mediaUrl: null,
    });
  });
});

describe('when a template is written', () => {
  it('refuses a fallback language without a variant', () => {
    const result = TemplateContentSchema.safeParse({ fallbackLanguage: 'fr', variants: [{ language: 'en', text: 'Hi' }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('the fallback language "fr" has no variant: add one or pick another fallback');
  });

  it('refuses two variants of one language and a placeholder that does not parse', () => {
    const result = TemplateContentSchema.safeParse({
      fallbackLanguage: 'en',
      variants: [
        { language: 'en', text: 'Hi {{oops' },
        { language: 'EN', text: 'Hi' },
      ],
    });
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      'a "{{" is never closed by "}}" (at character 3)',
      'the language "en" has two variants: keep one',
    ]);
  });

  it('refuses a secret in a template text', () => {
    const result = TemplateContentSchema.safeParse({ fallbackLanguage: 'en', variants: [{ language: 'en', text: 'key {{secrets.KEY}}' }] });
    expect(result.success).toBe(false);
  });
});
