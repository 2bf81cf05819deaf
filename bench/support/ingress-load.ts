/*
 * The ingress bench's load generator, a process of its own (bench/ingress.bench.ts): its HTTP
 * client costs CPU that a real sender's machine pays, not the product's event loop. Each of
 * `connections` loops posts one message, waits for the answer and posts the next, over a
 * keep-alive agent, until `count` messages are posted (a closed loop). With `ratePerS`, it is an
 * open loop instead: message i is posted at start + i / rate whatever the answers so far (over at
 * most `connections` sockets; a request waiting for a socket counts that wait in its duration). A
 * new sender (phone) per message. Prints one JSON line: answers by status, each accepted
 * request's duration, the wall time and its CPU.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../../connectors/webhook/webhook-signature.ts';

export interface IngressLoadSpec {
  baseUrl: string;
  route: 'sandbox' | 'webhook';
  channelId: string;
  /** The owner's session token (sandbox route) or the channel's signing secret (webhook route). */
  credential: string;
  connections: number;
  count: number;
  /** Provider ids are `<phase>:<i>`, which the bench reads its timings by. */
  phase: string;
  /** Senders' phones are `+1<phonePrefix><i, 7 digits>`: a new one per message. */
  phonePrefix: string;
  text: string;
  /** Open loop: arrivals per second (absent: a closed loop of `connections`). */
  ratePerS?: number;
}

export interface IngressLoadResult {
  statuses: Record<string, number>;
  acceptedMs: number[];
  wallMs: number;
  cpuMs: number;
}

function post(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(spec: IngressLoadSpec): Promise<IngressLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const statuses: Record<string, number> = {};
  const acceptedMs: number[] = [];
  const path = spec.route === 'sandbox' ? `/api/v1/channels/${spec.channelId}/sandbox/inbound` : `/hooks/channels/${spec.channelId}`;
  const url = new URL(path, spec.baseUrl);
  const phone = (i: number) => `+1${spec.phonePrefix}${String(i).padStart(7, '0')}`;
  const requestFor = (i: number): { body: string; headers: Record<string, string> } => {
    const id = `${spec.phase}:${i}`;
    if (spec.route === 'sandbox')
      return { body: JSON.stringify({ from: phone(i), text: spec.text, id }), headers: { authorization: `Bearer ${spec.credential}` } };
    const body = JSON.stringify({ event: 'message', id, from: { id: `sender-${spec.phase}-${i}`, phone: phone(i) }, text: spec.text });
    const timestampS = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: { [TIMESTAMP_HEADER]: String(timestampS), [SIGNATURE_HEADER]: signWebhook(spec.credential, timestampS, body) },
    };
  };
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const loop = async () => {
    while (next < spec.count) {
      const { body, headers } = requestFor(next++);
      const t0 = performance.now();
      record(await post(agent, url, body, headers).catch(() => 0), t0);
    }
  };
  const record = (status: number, t0: number): void => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 202) acceptedMs.push(performance.now() - t0);
  };
  const openLoop = async (rate: number) => {
    const sent: Promise<void>[] = [];
    for (let i = 0; i < spec.count; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { body, headers } = requestFor(i);
      // Timed from when it was due: a late start (this process or a socket busy) is the sender's wait too.
      sent.push(
        post(agent, url, body, headers).then(
          (status) => record(status, due),
          () => record(0, due),
        ),
      );
    }
    await Promise.all(sent);
  };
  await (spec.ratePerS === undefined ? Promise.all(Array.from({ length: spec.connections }, loop)) : openLoop(spec.ratePerS));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  return { statuses, acceptedMs, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const spec = JSON.parse(process.argv[2] ?? '') as IngressLoadSpec;
process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
