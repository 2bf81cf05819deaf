import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type RequestHandler } from 'express';
import { AppError, ForbiddenError } from '../../engine/errors/app-error.ts';
import { can, CAPABILITIES } from '../../engine/tenancy/role.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import { authenticate, credentialOf } from '../auth/authenticate.ts';
import type { SessionTokens } from '../auth/session-tokens.ts';
import { sendError } from '../http-errors.ts';
import { requestState } from '../register-routes.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardDeps {
  orm: Orm;
  tokens: SessionTokens;
  logger: Logger;
  /** The queues to show; asked again on every request (see below). */
  openQueues: () => Queue[];
}

/**
 * The BullMQ dashboard (Bull Board) at /admin/queues, for owners and admins of a workspace.
 * The browser reaches it with the session cookie that login sets on /admin; scripts may use the
 * Bearer header. No credential → 401, another role → 403, both as `{ error }` JSON.
 *
 * Queues are refreshed on each request rather than fixed at mount time: a process opens queues
 * lazily (a send queue appears when a channel is added), and a snapshot taken at start-up would
 * miss them. Adapters are rebuilt only when the set of queue names changes.
 *
 * The queues are shared by every workspace, so this is an operator's view; owners and admins of
 * any workspace see it, which is right for a self-hosted install where they are the operators.
 */
export function queueDashboardRouter(deps: QueueDashboardDeps): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'OneMessage queues' } } });
  let shownNames = '';

  const refreshQueues: RequestHandler = (_req, _res, next) => {
    const queues = deps.openQueues();
    const names = queues.map((q) => q.name).sort().join('\n');
    if (names !== shownNames) {
      board.replaceQueues(queues.map((q) => new BullMQAdapter(q)));
      shownNames = names;
    }
    next();
  };

  const ownersAndAdmins: RequestHandler = async (req, res, next) => {
    requestState(req).route = QUEUE_DASHBOARD_PATH;
    try {
      const auth = await authenticate(deps.orm.em.fork(), deps.tokens, credentialOf(req, { allowCookie: true }));
      requestState(req).auth = auth;
      if (!can(auth.role, 'queues.dashboard')) throw new ForbiddenError(CAPABILITIES['queues.dashboard']);
      next();
    } catch (err) {
      if (err instanceof AppError) {
        sendError(res, err.code === 'forbidden' ? 403 : 401, err.code, err.message);
        return;
      }
      deps.logger.error({ err }, 'queue dashboard authentication failed');
      sendError(res, 500, 'internal', 'an internal error occurred; it has been logged');
    }
  };

  const router = Router();
  router.use(QUEUE_DASHBOARD_PATH, ownersAndAdmins, refreshQueues, serverAdapter.getRouter());
  return router;
}
