import { describe, expect, it } from 'vitest';
import { TemplateMissingError } from '../../errors/template-missing.error.ts';
import { SendMessageConfigSchema } from '../../flows/nodes/send-message.node.ts';
import { TemplateContentSchema, type MessageTemplateVersion } from '../../templates/message-template.ts';
import type { NodeContext } from '../node-executor.ts';
import type { ContactFacts } from '../run-types.ts';
import { sendMessageExecutor } from './action.executors.ts';

const TEMPLATE_ID = '0196f0b2-8a4c-7d3e-9f10-2b3c4d5e6f70';

const pinned: MessageTemplateVersion = {
  id: '0196f0b2-8a4c-7d3e-9f10-2b3c4d5e6f71',
  templateId: TEMPLATE_ID,
  version: 3,
  name: 'Welcome',
  content: TemplateContentSchema.parse({
    fallbackLanguage: 'en',
    variants: [
      { language: 'en', text: 'Hi {{contact.name | "there"}}!' },
      { language: 'es', text: '¡Hola {{contact.name}}!', mediaUrl: 'https://cdn.example.com/{{contact.name}}.jpg' },
    ],
  }),
};

function context(contact: Partial<ContactFacts>, templates: ReadonlyMap<string, MessageTemplateVersion>): NodeContext {
  return {
    nodeId: 's',
    facts: {
      contact: { id: 'c1', phone: '+15550100', name: null, attributes: {}, tags: [], ...contact },
      message: null,
      conversation: null,
      trigger: {},
      workspace: { id: 'w', timezone: 'UTC' },
    },
    state: { vars: {}, attempts: {} },
    now: new Date(0),
    random: () => 0,
    http: { request: () => Promise.reject(new Error('no HTTP in this test')) },
    secrets: { resolve: () => Promise.reject(new Error('no secrets in this test')) },
    templates,
  };
}

const byTemplate = SendMessageConfigSchema.parse({ templateId: TEMPLATE_ID });

describe('when a send_message node sends a saved template', () => {
  it('sends the pinned version in the language of the contact, rendered with its values', async () => {
    const result = await sendMessageExecutor(
      byTemplate,
      context({ name: 'Ana Lucía', attributes: { language: 'es-MX' } }, new Map([[TEMPLATE_ID, pinned]])),
    );
    expect(result.effects).toEqual([{ kind: 'send', text: '¡Hola Ana Lucía!', mediaUrl: 'https://cdn.example.com/Ana%20Luc%C3%ADa.jpg' }]);
    expect(result.output).toMatchObject({ template: { id: TEMPLATE_ID, name: 'Welcome', version: 3, language: 'es' } });
  });

  it('falls back to the fallback language when the contact has none of the variants', async () => {
    const result = await sendMessageExecutor(
      byTemplate,
      context({ name: 'Jan', attributes: { language: 'nl' } }, new Map([[TEMPLATE_ID, pinned]])),
    );
    expect(result.effects).toEqual([{ kind: 'send', text: 'Hi Jan!' }]);
  });

  it('fails the step with template_missing when the flow version pinned no such template', () => {
    expect(() => sendMessageExecutor(byTemplate, context({}, new Map()))).toThrow(TemplateMissingError);
  });

  it('ignores the node text when a template is chosen, and sends the node text when none is', async () => {
    const inline = SendMessageConfigSchema.parse({ text: 'Inline {{contact.phone}}' });
    expect((await sendMessageExecutor(inline, context({}, new Map()))).effects).toEqual([{ kind: 'send', text: 'Inline +15550100' }]);
  });
});
