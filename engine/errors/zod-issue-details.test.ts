import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zodIssueDetails, zodIssueLine } from './zod-issue-details.ts';

describe('when an input fails its zod schema', () => {
  it('lists every issue with its dotted path, array positions included, and the message', () => {
    const schema = z.object({ items: z.array(z.object({ text: z.string() })), email: z.email() });
    const result = schema.safeParse({ items: [{ text: 'ok' }, { text: 3 }], email: 'nope' });
    expect(result.success).toBe(false);
    expect(zodIssueDetails(result.error!)).toEqual([
      { path: 'items.1.text', message: expect.stringContaining('string') },
      { path: 'email', message: expect.stringContaining('email') },
    ]);
  });

  it('gives an empty path for an issue of the whole input', () => {
    expect(zodIssueDetails(z.object({}).safeParse('text').error!)).toEqual([{ path: '', message: expect.any(String) }]);
  });

  // A copy that joined the path with Array#join threw a TypeError here, answering 500 instead of 400.
  it('writes a symbol key in words instead of throwing', () => {
    const error = new z.ZodError([{ code: 'custom', path: ['meta', Symbol('tag')], message: 'bad tag', input: null }]);
    expect(zodIssueDetails(error)).toEqual([{ path: 'meta.Symbol(tag)', message: 'bad tag' }]);
  });

  // The WhatsApp normalisers joined the path with Array#join in a copy of their own, which threw on a symbol key.
  it('writes the issues on one line for a skip reason, a symbol key in words', () => {
    const error = new z.ZodError([
      { code: 'custom', path: ['key', 'id'], message: 'missing', input: null },
      { code: 'custom', path: ['meta', Symbol('tag')], message: 'bad tag', input: null },
    ]);
    expect(zodIssueLine(error)).toBe('key.id missing; meta.Symbol(tag) bad tag');
  });

  it('writes an issue of the whole input on the line as its message alone', () => {
    expect(zodIssueLine(z.object({}).safeParse('text').error!)).toBe('Invalid input: expected object, received string');
  });
});
