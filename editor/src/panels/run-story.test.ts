import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../api/api-types.ts';
import { runHeadline, runStatusText, runStory } from './run-story.ts';

const base = {
  id: 'r',
  flowId: 'f',
  flowVersionId: 'v',
  version: 0,
  draftTest: true,
  contactId: 'c',
  conversationId: 'k',
  channelId: 'ch',
  contactName: 'Test contact',
  contactPhone: '+999000000000001',
  testContact: true,
  triggerText: 'hi',
  currentNodeId: null,
  stopReason: null,
  error: null,
  dueAt: null,
  startedAt: '2026-12-06T00:00:00.000Z',
  updatedAt: '2026-12-06T00:00:01.000Z',
  endedAt: null,
  state: {},
  wait: null,
  trigger: { kind: 'message', message: { text: 'hi' } },
};
const step = (seq: number, nodeId: string, nodeType: string, output: unknown, port: string | null = 'out', error: unknown = null) => ({
  seq,
  nodeId,
  nodeType,
  input: {},
  output,
  port,
  error,
  startedAt: '',
  finishedAt: '',
  durationMs: 1,
});

const labels: Record<string, string> = { t: 'Says hi', c: 'Is a customer?', m: 'Send the price list', a: 'Remember the plan' };

describe('a run told as a conversation', () => {
  it('says who wrote what, which way a decision went and what was set, by node name', () => {
    const run = {
      ...base,
      status: 'completed',
      stepCount: 4,
      steps: [
        step(1, 't', 'message_received', { message: { text: 'hi' } }),
        step(2, 'c', 'condition', { value: true }, 'true'),
        step(3, 'a', 'set_contact_attribute', { key: 'plan', value: 'pro' }),
        step(4, 'm', 'send_message', { result: { text: 'Our prices' }, effects: [{ kind: 'send', messageId: 'x' }] }, 'out'),
      ],
    } as unknown as RunDetail;
    expect(runStory(run, (id) => labels[id]!).map((l) => `${l.who}: ${l.text}`)).toEqual([
      'contact: hi',
      'flow: Started by “Says hi”.',
      'flow: “Is a customer?” went the “True” way.',
      'flow: Set plan to “pro”.',
      'bot: Our prices',
      'flow: The run finished.',
    ]);
  });

  it('tells a failure in words, never as JSON', () => {
    const run = {
      ...base,
      status: 'failed',
      stepCount: 1,
      steps: [step(1, 'h', 'http_request', null, null, { message: 'the server answered 500' })],
    } as unknown as RunDetail;
    expect(runStory(run, (id) => labels[id] ?? 'Call the API')).toEqual([
      { who: 'error', text: 'Call the API failed: the server answered 500', seq: 1 },
    ]);
  });

  it('heads a run with its contact and the message that started it', () => {
    const run = { ...base, status: 'completed', stepCount: 2 } as unknown as RunDetail;
    expect(runHeadline(run)).toBe('Test contact (+999000000000001): “hi”');
    expect(runStatusText(run)).toBe('finished · draft test · 2 steps');
  });
});
