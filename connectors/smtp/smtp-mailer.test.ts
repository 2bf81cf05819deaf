import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpMailer } from './smtp-mailer.ts';

/** The fake server's reply per command verb; anything else gets `250 ok`. */
const REPLY: Record<string, (line: string) => string> = {
  RCPT: (line) => (line.includes('refused.example') ? '550 no such user\r\n' : '250 ok\r\n'),
  DATA: () => '354 go ahead\r\n',
  QUIT: () => '221 bye\r\n',
};

/** A minimal SMTP server on 127.0.0.1: records each message's envelope and data; refuses recipients of `refused.example`. */
async function fakeSmtpServer(): Promise<{ server: Server; port: number; messages: { from: string; to: string[]; data: string }[] }> {
  const messages: { from: string; to: string[]; data: string }[] = [];
  const server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current = { from: '', to: [] as string[], data: '' };
    socket.write('220 fake ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push(current);
          current = { from: '', to: [], data: '' };
          socket.write('250 queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'MAIL') current.from = line;
        if (verb === 'RCPT' && !line.includes('refused.example')) current.to.push(line);
        if (verb === 'DATA') inData = true;
        socket.write(REPLY[verb]?.(line) ?? '250 ok\r\n');
        if (verb === 'QUIT') socket.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, messages };
}

let server: Server | undefined;

afterEach(async () => {
  server?.close();
  server = undefined;
});

describe('when an email is sent through SMTP_URL', () => {
  it('delivers it to the server with the configured From address', async () => {
    const smtp = await fakeSmtpServer();
    server = smtp.server;
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`, from: 'OneMessage <no-reply@example.test>' });
    await mailer.send({
      to: 'sam@example.com',
      subject: 'You are invited',
      text: 'Open https://om.example.test/#/invitations/accept?token=abc',
    });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.from).toContain('no-reply@example.test');
    expect(smtp.messages[0]!.to).toEqual(['RCPT TO:<sam@example.com>']);
    expect(smtp.messages[0]!.data).toContain('Subject: You are invited');
  });

  it('rejects when the server refuses the message', async () => {
    const smtp = await fakeSmtpServer();
    server = smtp.server;
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`, from: 'no-reply@example.test' });
    await expect(mailer.send({ to: 'nobody@refused.example', subject: 's', text: 't' })).rejects.toThrow(/550/);
    expect(smtp.messages).toEqual([]);
  });
});
