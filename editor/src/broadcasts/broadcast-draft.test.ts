import { describe, expect, it } from 'vitest';
import { changedFields, checkDraft, draftOf, newDraft, toSpecInput } from './broadcast-draft.ts';

const CHANNEL = '0196a3f0-7c2e-7a11-8b1c-2f3e4d5a6b7c';

describe('the create form as the API body', () => {
  it('sends a segment, a message and "now" with no quiet hours and the channel pace', () => {
    const spec = toSpecInput({ ...newDraft(), name: 'Sale', channelId: CHANNEL, text: 'Hi {{contact.name}}' }, 'Europe/Paris');
    expect(spec).toEqual({
      name: 'Sale',
      channelId: CHANNEL,
      audience: { kind: 'segment', rule: { '!!': { var: 'contact.phone' } } },
      content: { kind: 'message', text: 'Hi {{contact.name}}' },
      schedule: { kind: 'now' },
      quietHours: null,
      pacePerMinute: null,
    });
    expect(checkDraft(spec)).toEqual([]);
  });

  it("uses the workspace's time zone when the field is left empty, and the pace as a number", () => {
    const spec = toSpecInput(
      {
        ...newDraft(),
        name: 'Weekly',
        channelId: CHANNEL,
        text: 'x',
        scheduleKind: 'recurring',
        cron: ' 0 9 * * 1 ',
        pace: '30',
        quietHours: true,
      },
      'Europe/Paris',
    );
    expect(spec.schedule).toEqual({ kind: 'recurring', cron: '0 9 * * 1', timezone: 'Europe/Paris' });
    expect(spec.pacePerMinute).toBe(30);
    expect(spec.quietHours).toEqual({ start: '21:00', end: '08:00', timezone: 'contact' });
    expect(checkDraft(spec)).toEqual([]);
  });

  it('sends each entry of a pasted list, split on lines, commas and semicolons', () => {
    const spec = toSpecInput({ ...newDraft(), audienceKind: 'phones', phonesText: '+1 555 0001\n\n+15550002, +15550003;+15550002' }, 'UTC');
    expect(spec.audience).toEqual({ kind: 'phones', phones: ['+1 555 0001', '+15550002', '+15550003', '+15550002'] });
  });

  it("lists the API schema's problems by field before anything is sent", () => {
    const problems = checkDraft(toSpecInput({ ...newDraft(), scheduleKind: 'at', localTime: '', pace: '0' }, 'UTC'));
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['name', 'channelId', 'content.text', 'schedule.localTime', 'pacePerMinute']),
    );
  });
});

describe('an existing broadcast in the form', () => {
  const spec = {
    name: 'Weekly',
    channelId: CHANNEL,
    audience: { kind: 'phones' as const, phones: ['+15550000001', '+15550000002'] },
    content: { kind: 'message' as const, text: 'Hi', mediaUrl: 'https://example.com/a.jpg' },
    schedule: { kind: 'recurring' as const, cron: '0 9 * * 1', timezone: 'Asia/Tokyo' },
    quietHours: { start: '22:00', end: '07:00', timezone: 'workspace' as const },
    pacePerMinute: 120,
  };

  it('gives its spec back unchanged when nothing is edited', () => {
    expect(toSpecInput(draftOf(spec), 'UTC')).toEqual(spec);
  });

  it('sends only the fields that were changed', () => {
    const edited = toSpecInput({ ...draftOf(spec), name: 'Weekly (final)', pace: '' }, 'UTC');
    expect(changedFields(edited, spec)).toEqual({ name: 'Weekly (final)', pacePerMinute: null });
  });
});

describe('a broadcast that sends a saved template', () => {
  const TEMPLATE = '0196a3f0-7c2e-7a11-8b1c-00000000aaaa';

  it('sends the template by id and gives it back when edited', () => {
    const spec = toSpecInput(
      { ...newDraft(), name: 'Offer', channelId: CHANNEL, contentKind: 'template', templateId: TEMPLATE, text: 'kept for later' },
      'UTC',
    );
    expect(spec.content).toEqual({ kind: 'template', templateId: TEMPLATE });
    expect(draftOf(spec)).toMatchObject({ contentKind: 'template', templateId: TEMPLATE });
  });

  it('asks for a template in words when none is picked', () => {
    expect(checkDraft(toSpecInput({ ...newDraft(), name: 'Offer', channelId: CHANNEL, contentKind: 'template' }, 'UTC'))).toEqual([
      { path: 'content.templateId', message: 'pick a template, or write the message' },
    ]);
  });
});
