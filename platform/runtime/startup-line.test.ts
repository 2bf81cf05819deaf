import { describe, expect, it } from 'vitest';
import { startupLine } from './run-roles.ts';

describe('the line printed when the server is ready', () => {
  it('gives the editor address and the demo login', () => {
    expect(
      startupLine({
        publicUrl: 'http://localhost:3000',
        env: 'development',
        demo: { email: 'demo@onemessage.local', password: 'onemessage-demo' },
      }),
    ).toBe('OneMessage is ready: open http://localhost:3000 and log in as demo@onemessage.local / onemessage-demo');
  });

  it('never prints the password in production', () => {
    expect(
      startupLine({
        publicUrl: 'https://om.example.com',
        env: 'production',
        demo: { email: 'demo@onemessage.local', password: 'secret-pass' },
      }),
    ).not.toContain('secret-pass');
  });
});
