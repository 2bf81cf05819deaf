import { describe, expect, it } from 'vitest';
import { HandOffConfigSchema } from '../../flows/nodes/hand-off.node.ts';
import { SendMessageConfigSchema } from '../../flows/nodes/send-message.node.ts';
import { SetContactAttributeConfigSchema } from '../../flows/nodes/set-contact-attribute.node.ts';
import { nodeContext, runFacts } from '../run-context.fixture.ts';
import {
  addTagExecutor,
  endExecutor,
  handOffExecutor,
  optInExecutor,
  optOutExecutor,
  removeTagExecutor,
  sendMessageExecutor,
  setContactAttributeExecutor,
  startFlowExecutor,
} from './action.executors.ts';

const FLOW_ID = '0190f4a2-7c1e-7000-8000-000000000001';
const TEAM_ID = '0190f4a2-7c1e-7000-8000-000000000002';

describe('when a run reaches a Send message node', () => {
  it('asks for a send of the text rendered with the contact, the message and the run variables', async () => {
    const config = SendMessageConfigSchema.parse({
      text: 'Hi {{contact.name}} ({{contact.plan}}): you said "{{message.text}}", code {{vars.code}}',
    });
    const result = await sendMessageExecutor(config, nodeContext({ state: { vars: { code: 'X1' }, attempts: {} } }));
    const text = 'Hi Sam (pro): you said "hi", code X1';
    expect(result).toEqual({ port: 'out', effects: [{ kind: 'send', text }], output: { text } });
  });

  it('uses the fallback of a template for a contact without a name', async () => {
    const config = SendMessageConfigSchema.parse({ text: 'Hello {{contact.name | "there"}}' });
    const facts = runFacts({ contact: { id: 'c', phone: null, name: null, attributes: {}, tags: [] } });
    expect((await sendMessageExecutor(config, nodeContext({ facts }))).effects).toEqual([{ kind: 'send', text: 'Hello there' }]);
  });

  it('renders the media URL with its values URL-encoded', async () => {
    const config = SendMessageConfigSchema.parse({
      text: '',
      mediaUrl: 'https://cdn.example.com/card?name={{contact.name}}&p={{contact.phone}}',
    });
    const result = await sendMessageExecutor(config, nodeContext());
    const mediaUrl = 'https://cdn.example.com/card?name=Sam&p=%2B15550001111';
    expect(result.effects).toEqual([{ kind: 'send', text: '', mediaUrl }]);
    expect(result.output).toEqual({ text: '', mediaUrl });
  });
});

describe('when a run reaches a Set contact attribute node', () => {
  it('asks to store the rendered value under the key and continues', async () => {
    const config = SetContactAttributeConfigSchema.parse({ key: 'last_answer', value: '{{vars.answer}}!' });
    const result = await setContactAttributeExecutor(config, nodeContext({ state: { vars: { answer: 'yes' }, attempts: {} } }));
    expect(result).toEqual({
      port: 'out',
      effects: [{ kind: 'set_attribute', key: 'last_answer', value: 'yes!' }],
      output: { key: 'last_answer', value: 'yes!' },
    });
  });
});

describe('when a run reaches a tag node', () => {
  it('Add tag asks for the tag and continues', async () => {
    expect(await addTagExecutor({ tag: 'lead' }, nodeContext())).toEqual({
      port: 'out',
      effects: [{ kind: 'add_tag', tag: 'lead' }],
      output: { tag: 'lead' },
    });
  });

  it('Remove tag asks for its removal and continues', async () => {
    expect(await removeTagExecutor({ tag: 'vip' }, nodeContext())).toEqual({
      port: 'out',
      effects: [{ kind: 'remove_tag', tag: 'vip' }],
      output: { tag: 'vip' },
    });
  });
});

describe('when a run reaches a node that ends it', () => {
  it('Hand off asks for a hand-off with its team and note, and ends the run', async () => {
    const config = HandOffConfigSchema.parse({ teamId: TEAM_ID, note: 'wants a refund' });
    expect(await handOffExecutor(config, nodeContext())).toEqual({
      port: null,
      effects: [{ kind: 'hand_off', teamId: TEAM_ID, note: 'wants a refund' }],
      output: config,
    });
  });

  it('Start another flow asks for that flow and ends this run', async () => {
    expect(await startFlowExecutor({ flowId: FLOW_ID }, nodeContext())).toEqual({
      port: null,
      effects: [{ kind: 'start_flow', flowId: FLOW_ID }],
      output: { flowId: FLOW_ID },
    });
  });

  it('Opt out asks for the opt-out and ends the run', async () => {
    expect(await optOutExecutor({}, nodeContext())).toEqual({ port: null, effects: [{ kind: 'opt_out' }] });
  });

  it('End ends the run with no effect', async () => {
    expect(await endExecutor({}, nodeContext())).toEqual({ port: null });
  });
});

describe('when a run reaches an Opt in node', () => {
  it('asks for the opt-in and continues', async () => {
    expect(await optInExecutor({}, nodeContext())).toEqual({ port: 'out', effects: [{ kind: 'opt_in' }] });
  });
});
