import type { AddTagConfig } from '../../flows/nodes/add-tag.node.ts';
import type { HandOffConfig } from '../../flows/nodes/hand-off.node.ts';
import type { RemoveTagConfig } from '../../flows/nodes/remove-tag.node.ts';
import type { SendMessageConfig } from '../../flows/nodes/send-message.node.ts';
import type { SetContactAttributeConfig } from '../../flows/nodes/set-contact-attribute.node.ts';
import type { StartFlowConfig } from '../../flows/nodes/start-flow.node.ts';
import { TemplateMissingError } from '../../errors/template-missing.error.ts';
import { renderTemplateText } from '../../flows/template.ts';
import { LANGUAGE_ATTRIBUTE, renderTemplateContent } from '../../templates/message-template.ts';
import { flowData } from '../flow-data.ts';
import type { NodeExecutor } from '../node-executor.ts';

/** The message a send_message step sends: its own text and media URL, or the variant of the contact's language of the template version its flow version pinned. */
function renderMessage(
  config: SendMessageConfig,
  ctx: Parameters<NodeExecutor>[1],
): { text: string; mediaUrl?: string; template?: { id: string; name: string; version: number; language: string } } {
  const data = flowData(ctx.facts, ctx.state);
  if (config.templateId === undefined) {
    const text = renderTemplateText(config.text, data);
    return {
      text,
      ...(config.mediaUrl === undefined ? {} : { mediaUrl: renderTemplateText(config.mediaUrl, data, { encode: encodeURIComponent }) }),
    };
  }
  const pinned = ctx.templates.get(config.templateId);
  if (!pinned) throw new TemplateMissingError(config.templateId);
  const rendered = renderTemplateContent(pinned.content, ctx.facts.contact?.attributes[LANGUAGE_ATTRIBUTE], data);
  return {
    text: rendered.text,
    ...(rendered.mediaUrl === null ? {} : { mediaUrl: rendered.mediaUrl }),
    template: { id: pinned.templateId, name: pinned.name, version: pinned.version, language: rendered.language },
  };
}

/** Renders the text (and media URL), its own or its template's, and asks for a send. */
export const sendMessageExecutor: NodeExecutor<SendMessageConfig> = (config, ctx) => {
  const { text, mediaUrl, template } = renderMessage(config, ctx);
  return {
    port: 'out',
    effects: [{ kind: 'send', text, ...(mediaUrl ? { mediaUrl } : {}) }],
    output: { text, ...(mediaUrl ? { mediaUrl } : {}), ...(template ? { template } : {}) },
  };
};

export const setContactAttributeExecutor: NodeExecutor<SetContactAttributeConfig> = (config, ctx) => {
  const value = renderTemplateText(config.value, flowData(ctx.facts, ctx.state));
  return { port: 'out', effects: [{ kind: 'set_attribute', key: config.key, value }], output: { key: config.key, value } };
};

export const addTagExecutor: NodeExecutor<AddTagConfig> = (config) => ({
  port: 'out',
  effects: [{ kind: 'add_tag', tag: config.tag }],
  output: { tag: config.tag },
});

export const removeTagExecutor: NodeExecutor<RemoveTagConfig> = (config) => ({
  port: 'out',
  effects: [{ kind: 'remove_tag', tag: config.tag }],
  output: { tag: config.tag },
});

/** Pauses the bot on the conversation for a human; the run ends here. */
export const handOffExecutor: NodeExecutor<HandOffConfig> = (config) => ({
  port: null,
  effects: [{ kind: 'hand_off', ...config }],
  output: config,
});

export const optOutExecutor: NodeExecutor = () => ({ port: null, effects: [{ kind: 'opt_out' }] });

export const optInExecutor: NodeExecutor = () => ({ port: 'out', effects: [{ kind: 'opt_in' }] });

/** Starts another flow for the same contact; this run ends. */
export const startFlowExecutor: NodeExecutor<StartFlowConfig> = (config) => ({
  port: null,
  effects: [{ kind: 'start_flow', flowId: config.flowId }],
  output: { flowId: config.flowId },
});

export const endExecutor: NodeExecutor = () => ({ port: null });
