import { systemClock, type Clock } from '../../engine/clock.ts';
import { loadConfig } from '../config.ts';
import { checkDependencies } from '../dependencies.ts';
import { createLogger } from '../logger.ts';
import { InboundPipeline } from '../pipeline/inbound-pipeline.ts';
import { Outbox } from '../pipeline/outbox.ts';
import { WorkspaceSecrets } from '../secrets/workspace-secrets.ts';
import { SafeHttpClient } from '../../connectors/http/safe-http-client.ts';
import { SmtpMailer } from '../../connectors/smtp/smtp-mailer.ts';
import type { Mailer } from '../../engine/ports/mailer.port.ts';
import { Engine } from '../automation/engine.ts';
import { DEFAULT_PRESENCE_GRACE_MS, Inbox } from '../inbox/inbox.ts';
import { startApiRole } from './api.role.ts';
import { channelAnnouncer, startConnectorRole } from './connector.role.ts';
import { createDatabaseIfMissing, prepareDatabase, requireMigratedSchema } from './prepare-database.ts';
import type { RoleName } from './role-name.ts';
import { openRuntime, runtimeShutdownSteps } from './runtime.ts';
import { GracefulShutdown } from './shutdown.ts';
import { startWorkerRole } from './worker.role.ts';

export { ROLE_NAMES, type RoleName } from './role-name.ts';

export interface RunRolesOptions {
  /** How the shutdown ends the process; tests that run the roles in-process pass a no-op. */
  exit?: (code: number) => void;
  /** Handle SIGINT and SIGTERM (default true); in-process tests call `shutdown.run` themselves. */
  listenForSignals?: boolean;
  clock?: Clock;
  /** Sends invitation emails instead of the SMTP server of the config (tests pass a recording fake). */
  mailer?: Mailer;
}

export interface RunningProcess {
  /** The HTTP port, when the api role runs. */
  port: number | null;
  shutdown: GracefulShutdown;
  /** The flow engine of this process (tests drive its reconciler and cache). */
  engine: Engine;
  /** The support inbox of this process (tests wait for its assigner). */
  inbox: Inbox;
}

/**
 * The one line a person starting the server looks for: where the editor is and how to log in.
 * The demo password is printed only outside production, where it is the documented default.
 */
export function startupLine(config: { publicUrl: string; env: string; demo: { email: string; password: string } }): string {
  const login = config.env === 'production' ? config.demo.email : `${config.demo.email} / ${config.demo.password}`;
  return `OneMessage is ready: open ${config.publicUrl} and log in as ${login}`;
}

/**
 * The composition root: reads the environment once, checks that Postgres and Redis answer,
 * builds the shared runtime and the pipelines, starts the chosen roles and installs the
 * graceful shutdown. Roles know nothing of each other: what one offers another (the connector's
 * `channelAdded` to the API) is handed over here.
 */
export async function runRoles(
  roles: readonly RoleName[],
  env: NodeJS.ProcessEnv = process.env,
  opts: RunRolesOptions = {},
): Promise<RunningProcess> {
  const started = Date.now();
  const has = (role: RoleName) => roles.includes(role);
  // The logger's level comes from the config, so warnings raised while reading it wait a moment.
  const warnings: string[] = [];
  const config = loadConfig(env, (msg) => warnings.push(msg));
  const logger = createLogger(config.logLevel).child({ roles: roles.join('+') });
  for (const warning of warnings) logger.warn(warning);

  await checkDependencies({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl });
  await createDatabaseIfMissing(config.databaseUrl, logger);
  const clock = opts.clock ?? systemClock;
  const rt = await openRuntime(config, logger, clock);
  const shutdown = new GracefulShutdown({ logger, ...(opts.exit ? { exit: opts.exit } : {}) });
  const stopSteps: { name: string; run: () => Promise<void> }[] = [];
  try {
    if (has('api')) await prepareDatabase(rt.orm, { databaseUrl: config.databaseUrl, demo: config.demo, clock, logger });
    else await requireMigratedSchema(rt.orm);

    const inbound = new InboundPipeline({ orm: rt.orm, logger: logger.child({ component: 'inbound' }), clock });
    const outbox = new Outbox({
      orm: rt.orm,
      queues: rt.queues,
      logger: logger.child({ component: 'outbox' }),
      clock,
      meter: rt.billing.meter,
    });
    const http = new SafeHttpClient({ allowHosts: config.httpAllowHosts });
    const secrets = new WorkspaceSecrets(config.secretKey);
    const inbox = new Inbox({
      orm: rt.orm,
      redis: rt.redis,
      queues: rt.queues,
      logger,
      clock,
      outbox,
      prefix: config.redisPrefix,
      presenceGraceMs: config.inbox?.presenceGraceMs ?? DEFAULT_PRESENCE_GRACE_MS,
    });
    stopSteps.push({ name: 'stop the inbox assigner and its live updates', run: () => inbox.stop() });
    const engine = new Engine({
      orm: rt.orm,
      redis: rt.redis,
      queues: rt.queues,
      logger,
      clock,
      outbox,
      http,
      secrets,
      prefix: config.redisPrefix,
      inbox,
    });
    // Accepted messages are handed to the engine: their conversation's drain job is enqueued.
    inbound.onAccepted(engine.onInboundAccepted);
    // ... and to the support inbox: live inboxes hear of them, a snoozed conversation wakes.
    inbound.onAccepted(inbox.onInboundAccepted);

    const connector = has('connector') ? await startConnectorRole(rt, { inbound }) : null;
    if (connector) stopSteps.push({ name: 'stop send workers and connectors', run: () => connector.stop() });
    const worker = has('worker') ? await startWorkerRole(rt, { outbox, engine, inbox }) : null;
    if (worker) stopSteps.push({ name: 'stop the engine workers and reconcilers', run: () => worker.stop() });
    const mailer = opts.mailer ?? (config.smtp ? new SmtpMailer(config.smtp) : undefined);
    const api = has('api')
      ? await startApiRole(rt, {
          mailer,
          inbound,
          outbound: outbox,
          inbox,
          channels: connector ?? channelAnnouncer(rt),
          flows: { changed: (workspaceId) => engine.flowsChanged(workspaceId) },
          flowWebhooks: { start: (flowId, tokenHash, body) => engine.triggered.startFromWebhook(flowId, tokenHash, body) },
        })
      : null;
    if (api) {
      // HTTP stops first so that no new work arrives while the rest drains.
      stopSteps.unshift({ name: 'stop accepting HTTP connections and finish requests in flight', run: () => api.stopHttp() });
    }
    const [closeQueues, ...closeConnections] = runtimeShutdownSteps(rt);
    for (const step of stopSteps) shutdown.add(step.name, step.run);
    shutdown.add(closeQueues!.name, closeQueues!.run);
    if (api) shutdown.add('write the buffered usage events', () => api.flushUsage());
    for (const step of closeConnections) shutdown.add(step.name, step.run);
    if (opts.listenForSignals ?? true) shutdown.listen();
    logger.info({ ms: Date.now() - started, port: api?.port ?? null }, `ready (${roles.join(', ')})`);
    if (api) logger.info({ editorUrl: config.publicUrl, demoEmail: config.demo.email }, startupLine(config));
    return { port: api?.port ?? null, shutdown, engine, inbox };
  } catch (err) {
    // Start-up failed half way: close what was opened so that the error is the last word.
    for (const step of [...stopSteps, ...runtimeShutdownSteps(rt)]) await step.run().catch(() => undefined);
    throw err;
  }
}
