import { pino } from 'pino';
import { systemClock } from '../../engine/clock.ts';
import type { AcceptedInbound } from '../../engine/ports/inbound-message.ts';
import { ChannelEvents } from '../../connectors/whatsapp/channel-event-bus.ts';
import type { ChannelEvent } from '../../engine/channels/channel-event.ts';
import { FAKE_OWN_JID, recordingFakeFactory, type FakeWaSocket } from '../../connectors/whatsapp/fake-wa-socket.ts';
import { guardedMediaFetcher } from '../../connectors/whatsapp/guarded-media-fetch.ts';
import { LocalMediaStore } from '../../connectors/whatsapp/media-store.ts';
import { WhatsappHost } from '../../connectors/whatsapp/whatsapp-host.ts';
import { requestConnect } from '../../connectors/whatsapp/whatsapp-sessions.sql.ts';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { DEFAULT_PRESENCE_GRACE_MS, Inbox } from '../../platform/inbox/inbox.ts';
import { Engine } from '../../platform/automation/engine.ts';
import { newId } from '../../platform/ids.ts';
import { Outbox } from '../../platform/pipeline/outbox.ts';
import { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { WorkspaceSecrets } from '../../platform/secrets/workspace-secrets.ts';
import { SafeHttpClient } from '../../connectors/http/safe-http-client.ts';
import { InboundPipeline } from '../../platform/pipeline/inbound-pipeline.ts';
import { testSql } from './test-sql.ts';
import { StatusUpdater } from '../../platform/pipeline/status-updater.ts';
import type { TestEnv } from './test-env.ts';

export const WA_MEDIA_MAX_BYTES = 1_000;

/**
 * One WhatsApp host in the test process over the real Postgres and Redis, with fake sockets, an
 * injected clock that `sleep` advances (no real waiting), and timers the test fires by hand.
 */
/**
 * `engine`: also run the flow engine here (trigger matching, runs, the conversation drain), with
 * accepted messages handed to it as the composition root does, so that a test can publish a flow
 * (`publishFlow`) and see which messages start runs.
 */
export async function startWhatsappHarness(env: TestEnv, opts: { settings?: Record<string, unknown>; engine?: boolean } = {}) {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const fake = recordingFakeFactory();
  let now = Date.parse('2026-11-26T10:00:00Z');
  const slept: number[] = [];
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const hosted = new Set<string>();
  const media = new LocalMediaStore(`${env.config.dataDir}/media`);
  const inbound = new InboundPipeline({ orm: env.orm, logger, clock: systemClock });
  // What the engine is handed (run-roles wires engine.onInboundAccepted here): a message not
  // handed over can neither start a flow nor answer a wait.
  const handedToEngine: AcceptedInbound[] = [];
  inbound.onAccepted(async (accepted) => void handedToEngine.push(accepted));
  const queues = new QueueFactory(env.redis, env.config.redisPrefix);
  const outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock });
  const inbox = new Inbox({
    orm: env.orm,
    redis: env.redis,
    queues,
    logger,
    clock: systemClock,
    outbox,
    prefix: env.config.redisPrefix,
    presenceGraceMs: DEFAULT_PRESENCE_GRACE_MS,
  });
  const engine = opts.engine
    ? new Engine({
        orm: env.orm,
        redis: env.redis,
        queues,
        logger,
        clock: systemClock,
        outbox,
        http: new SafeHttpClient(),
        secrets: new WorkspaceSecrets(env.config.secretKey),
        prefix: env.config.redisPrefix,
        inbox,
      })
    : null;
  if (engine) {
    inbound.onAccepted(engine.onInboundAccepted);
    engine.drain.startWorker();
  }
  const host = new WhatsappHost({
    orm: env.orm,
    redis: env.redis,
    prefix: env.config.redisPrefix,
    secretKey: env.config.secretKey,
    socketFactory: fake.factory,
    inbound,
    statuses: new StatusUpdater({ orm: env.orm, logger }),
    media,
    // 127.0.0.1 is allowed so that a test can serve media from a local server; everything else private stays refused.
    fetchMedia: guardedMediaFetcher({ allowHosts: ['127.0.0.1'], maxBytes: WA_MEDIA_MAX_BYTES }),
    mediaMaxBytes: WA_MEDIA_MAX_BYTES,
    leaseTtlMs: 60_000,
    maxChannels: 1_000,
    clock: { now: () => new Date(now) },
    logger,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    schedule: (fn, ms) => {
      const timer = { fn, ms, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    random: () => 0.5,
    holderId: `test-${newId().slice(0, 8)}`,
  });
  await host.start({ hostChannel: async (id) => void hosted.add(id), releaseChannel: async (id) => void hosted.delete(id) });
  const events = new ChannelEvents({ redis: env.redis, prefix: env.config.redisPrefix });

  async function sql<Row = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<Row[]> {
    return (await testSql<Row>(env.orm.em.fork(), text, bindings)).rows;
  }

  return {
    host,
    fake,
    media,
    slept,
    timers,
    hosted,
    handedToEngine,
    events,
    sql,
    advance: (ms: number) => (now += ms),
    /** A WhatsApp channel with a connect request (QR, or a pairing phone), taken by the host. */
    async connectChannel(
      connect: { pairingPhone?: string; settings?: Record<string, unknown> } = {},
    ): Promise<{ channelId: string; workspaceId: string; socket: FakeWaSocket }> {
      const workspaceId = newId();
      const channelId = newId();
      await sql(`insert into workspaces (id, name) values (:workspaceId, 'WA')`, { workspaceId });
      await sql(
        `insert into channels (id, workspace_id, kind, name, status, status_reason, settings) values (:channelId, :workspaceId, 'whatsapp', 'Phone', 'disconnected', 'not_connected', cast(:settings as jsonb))`,
        {
          channelId,
          workspaceId,
          settings: JSON.stringify(connect.settings ?? opts.settings ?? {}),
        },
      );
      await requestConnect(env.orm.em.fork(), channelId, connect.pairingPhone ?? null);
      const before = fake.sockets.length;
      await host.tick();
      if (fake.sockets.length !== before + 1) throw new Error('the host did not open a socket for the new channel');
      return { channelId, workspaceId, socket: fake.last() };
    },
    /** Logs the fake socket in (creds as after a pairing) and opens it; waits for the session to record it. */
    async open(channelId: string, socket: FakeWaSocket): Promise<void> {
      socket.opts.auth.creds.registered = true;
      socket.opts.auth.creds.me = { id: FAKE_OWN_JID, lid: '999000:1@lid' };
      socket.emit('creds.update', { registered: true, me: socket.opts.auth.creds.me });
      socket.emit('connection.update', { connection: 'open' });
      await this.settled(channelId);
    },
    async settled(channelId: string): Promise<void> {
      await host.session(channelId)?.settled();
    },
    async channel(channelId: string): Promise<{ status: string; status_reason: string | null; display_identifier: string | null }> {
      return (
        await sql<{ status: string; status_reason: string | null; display_identifier: string | null }>(
          `select status, status_reason, display_identifier from channels where id = :channelId`,
          { channelId },
        )
      )[0]!;
    },
    /** Collects the channel's live events until the returned function is called. */
    async collectEvents(channelId: string): Promise<{ events: ChannelEvent[]; stop: () => Promise<void> }> {
      const got: ChannelEvent[] = [];
      const stop = await events.subscribe(channelId, (e) => got.push(e));
      return { events: got, stop };
    },
    /** Fires the pending (not cancelled) timers, as time passing would. */
    fireTimers(): number[] {
      const due = timers.splice(0).filter((t) => !t.cancelled);
      for (const t of due) t.fn();
      return due.map((t) => t.ms);
    },
    /** Publishes a flow document (validated) in a workspace and tells the engine; needs `engine`. */
    async publishFlow(workspaceId: string, document: unknown): Promise<{ flowId: string }> {
      if (!engine) throw new Error('start the harness with { engine: true } to publish flows');
      const validation = validateFlow(document);
      if (!validation.ok) throw new Error(`invalid test flow: ${JSON.stringify(validation.problems)}`);
      const flowId = newId();
      await sql(
        `insert into flows (id, workspace_id, name, draft, active, published_version) values (:flowId, :workspaceId, 'test flow', cast(:doc as jsonb), true, 1)`,
        { flowId, workspaceId, doc: JSON.stringify(document) },
      );
      await sql(
        `insert into flow_versions (id, workspace_id, flow_id, version, document) values (:versionId, :workspaceId, :flowId, 1, cast(:doc as jsonb))`,
        { versionId: newId(), workspaceId, flowId, doc: JSON.stringify(validation.flow) },
      );
      await engine.flowsChanged(workspaceId);
      return { flowId };
    },
    async stop() {
      await host.stop();
      await engine?.stop();
      await queues.close();
    },
  };
}

export type WhatsappHarness = Awaited<ReturnType<typeof startWhatsappHarness>>;
