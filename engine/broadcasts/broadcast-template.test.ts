import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../flows/template.ts';
import { broadcastTemplateContext, parseBroadcastTemplate } from './broadcast-template.ts';

describe('parseBroadcastTemplate', () => {
  it('refuses a workspace secret: a broadcast must never send one to contacts', () => {
    const { template, problems } = parseBroadcastTemplate('Your code: {{secrets.STRIPE_KEY}}');
    expect(template).toBeNull();
    expect(problems).toEqual([expect.objectContaining({ code: 'template_invalid', path: 'content.text' })]);
    expect(problems[0]!.message).toContain("a secret can only be used in an HTTP request's URL, headers and body");
  });

  it('accepts contact fields, attributes and workspace fields', () => {
    const { template, problems } = parseBroadcastTemplate('Hi {{contact.name | "there"}} from {{workspace.name}}, your plan: {{contact.attributes.plan}}');
    expect(problems).toEqual([]);
    const text = renderTemplate(template!, broadcastTemplateContext({ contact: { id: 'c1', name: null, phone: '+15550001', tags: [], attributes: { plan: 'gold' } }, workspace: { name: 'Acme', timezone: 'UTC' } }));
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
