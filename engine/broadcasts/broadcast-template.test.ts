import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../flows/template.ts';
import { broadcastTemplateContext, parseBroadcastTemplate, templateBroadcastProblems } from './broadcast-template.ts';

describe('parseBroadcastTemplate', () => {
  it('refuses a workspace secret: a broadcast must never send one to contacts', () => {
    const { template, problems } = parseBroadcastTemplate('Your code: {{secrets.STRIPE_KEY}}');
    expect(template).toBeNull();
    expect(problems).toEqual([expect.objectContaining({ code: 'template_invalid', path: 'content.text' })]);
    expect(problems[0]!.message).toContain("a secret can only be used in an HTTP request's URL, headers and body");
  });

  it('accepts contact fields, attributes and workspace fields', () => {
    const { template, problems } = parseBroadcastTemplate(
      'Hi {{contact.name | "there"}} from {{workspace.name}}, your plan: {{contact.attributes.plan}}',
    );
    expect(problems).toEqual([]);
    const text = renderTemplate(
      template!,
      broadcastTemplateContext({
        contact: { id: 'c1', name: null, phone: '+15550001', tags: [], attributes: { plan: 'gold' } },
        workspace: { name: 'Acme', timezone: 'UTC' },
      }),
    );
    expect(text).toBe('Hi there from Acme, your plan: gold');
  });

  it('refuses a variable that a broadcast does not have, naming it', () => {
    const { problems } = parseBroadcastTemplate('Hi {{vars.answer}} {{contact.email}}');
    expect(problems.map((p) => p.code)).toEqual(['template_unknown_variable', 'template_unknown_variable']);
    expect(problems[0]!.message).toContain('vars.answer');
    expect(problems[1]!.message).toContain('contact.email');
  });

  it('reports a malformed placeholder with its offset', () => {
    const { problems } = parseBroadcastTemplate('Hi {{contact.name');
    expect(problems).toEqual([{ code: 'template_invalid', message: expect.stringContaining('at character 3'), path: 'content.text' }]);
  });
});

describe('templateBroadcastProblems', () => {
  const content = (text: string, mediaUrl?: string) => ({
    fallbackLanguage: 'en',
    variants: [
      { language: 'en', text: 'Hi {{contact.name}}' },
      { language: 'es', text, ...(mediaUrl ? { mediaUrl } : {}) },
    ],
  });

  it("accepts the contact's fields and attributes (also at the top level) and the workspace's", () => {
    expect(
      templateBroadcastProblems(
        'Offer',
        content('Hola {{contact.plan}} {{contact.attributes.city}} {{workspace.name}}', 'https://cdn.example.com/{{contact.id}}.jpg'),
      ),
    ).toEqual([]);
  });

  it('names the template, the variable and the language a broadcast cannot fill', () => {
    expect(templateBroadcastProblems('Offer', content('Hola', 'https://cdn.example.com/{{conversation.id}}.jpg'))).toEqual([
      {
        code: 'template_unknown_variable',
        path: 'content.templateId',
        message:
          'the template "Offer" uses {{conversation.id}} in its es media URL, which a broadcast cannot fill (it knows the contact and the workspace only): edit the template, or write the message here',
      },
    ]);
  });
});
