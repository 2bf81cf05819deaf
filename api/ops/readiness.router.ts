import { Router } from 'express';
import type { Orm } from '../../platform/db/orm.ts';
import { DEPENDENCY_RETRY_AFTER_S } from '../../platform/dependency-unavailable.ts';
import type { Redis } from '../../platform/redis.ts';
import { sendError } from '../http-errors.ts';
import { requestState } from '../register-routes.ts';

/** How long each dependency may take to answer before the process is reported not ready. */
export const READINESS_TIMEOUT_MS = 1_000;

export interface DependencyProbe {
  name: 'postgres' | 'redis';
  /** Resolves when the dependency answered; rejects with the reason otherwise. */
  check(): Promise<void>;
}

/** Postgres answers `select 1` on the process's own pool. */
export function postgresProbe(orm: Orm): DependencyProbe {
  return { name: 'postgres', check: async () => void (await orm.em.fork().getConnection().execute('select 1')) };
}

/**
 * Redis answers PING. A connection that is not `ready` fails at once: ioredis would otherwise
 * queue the PING until it reconnects, and every probe would add one more queued command.
 */
export function redisProbe(redis: Redis): DependencyProbe {
  return {
    name: 'redis',
    async check() {
      if (redis.status !== 'ready') throw new Error(`connection is ${redis.status}`);
      await redis.ping();
    },
  };
}

function withTimeout(probe: DependencyProbe, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([probe.check(), timeout]).finally(() => clearTimeout(timer));
}

/**
 * `GET /readyz`: 200 only when every dependency answers within READINESS_TIMEOUT_MS; otherwise
 * 503 `{ error: { code: 'not_ready', message, details: { failed: [{ dependency, reason }] } } }`
 * with Retry-After.
 */
export function readinessRouter(probes: DependencyProbe[], timeoutMs = READINESS_TIMEOUT_MS): Router {
  const router = Router();
  router.get('/readyz', async (req, res) => {
    requestState(req).route = '/readyz';
    const results = await Promise.allSettled(probes.map((p) => withTimeout(p, timeoutMs)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ dependency: probes[i]!.name, reason: String((r.reason as Error)?.message ?? r.reason) }] : [],
    );
    res.setHeader('Cache-Control', 'no-store');
    if (failed.length === 0) {
      res.json({ status: 'ready', checks: Object.fromEntries(probes.map((p) => [p.name, 'ok'])) });
      return;
    }
    res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_S));
    sendError(res, 503, 'not_ready', `not ready: ${failed.map((f) => f.dependency).join(' and ')} did not answer`, { failed });
  });
  return router;
}
