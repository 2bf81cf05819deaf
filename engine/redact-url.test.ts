import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.ts';

describe('when a URL is shown in a message or a log', () => {
  it.each([
    ['postgres://app:s3cret@db.internal:5432/onemessage', 'postgres://app:***@db.internal:5432/onemessage'],
    ['redis://:s3cret@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['http://admin:s3cret@example.com/', 'http://admin:***@example.com/'],
    ['https://p%40ss:s3cret%2Fx@example.com/hook', 'https://p%40ss:***@example.com/hook'],
  ])('hides the password of %s and keeps the user name', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('hides a user name that stands alone: it is how a token rides in a URL', () => {
    expect(redactUrl('https://ghp_s3cret@example.com/repo')).toBe('https://***@example.com/repo');
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('postgres://127.0.0.1:5432/onemessage')).toBe('postgres://127.0.0.1:5432/onemessage');
    expect(redactUrl('https://example.com/a?b=1#c')).toBe('https://example.com/a?b=1#c');
  });

  it('takes a parsed URL and leaves it unchanged', () => {
    const url = new URL('http://admin:s3cret@example.com/');
    expect(redactUrl(url)).toBe('http://admin:***@example.com/');
    expect(url.password).toBe('s3cret');
  });

  it('does not echo a string that is not a URL', () => {
    expect(redactUrl('postgres//app:s3cret@db')).toBe('<unparseable URL>');
  });
});
