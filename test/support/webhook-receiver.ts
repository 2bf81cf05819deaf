import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/**
 * A local HTTP server standing in for a customer's webhook receiver: records every request (raw
 * body and headers, for signature checks) and answers with the status `answer` gives (200 unless
 * set), so a test can fail deliveries on purpose.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (n: number) => number = () => 200;
  /** How long the receiver takes to answer (0: at once), so that concurrent requests overlap. */
  answerAfterMs = 0;
  /** Requests received and not yet answered, and the most there were at once. */
  open = 0;
  mostOpen = 0;
  private server: http.Server | null = null;
  private port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.answer(this.received.length);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        this.received.push({ headers, body: Buffer.concat(chunks).toString('utf8'), status });
        this.open++;
        this.mostOpen = Math.max(this.mostOpen, this.open);
        const reply = () => {
          this.open--;
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(status < 300 ? 'thanks' : `receiver error ${status} ${'x'.repeat(5_000)}`);
        };
        if (this.answerAfterMs > 0) setTimeout(reply, this.answerAfterMs);
        else reply();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/onemessage`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
