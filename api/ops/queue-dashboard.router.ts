import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type RequestHandler } from 'express';
import type { OperatorConfig } from '../../platform/config.ts';
import { requestState } from '../register-routes.ts';
import { queueDashboardContentSecurityPolicy } from '../security-headers.ts';
import { operatorCanSignIn, operatorGuard, type OperatorAttempts, type OperatorCredentials } from './operator-guard.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardDeps {
  /** Operator credentials from the environment: the only way in. */
  operator: OperatorConfig;
  /** The queues to show; asked again on every request (see below). */
  openQueues: () => Queue[];
  /** Whether the server is reached over https (PUBLIC_URL), for the page's CSP. */
  https: boolean;
  /** Counts wrong operator credentials per address. */
  attempts: OperatorAttempts;
}

/**
 * The BullMQ dashboard (Bull Board) at /admin/queues, for whoever runs the server. Its queues
 * are shared by every workspace and it can pause, retry and delete jobs, so it opens only to the
 * operator credentials of the environment (ADMIN_TOKEN as Bearer, or ADMIN_USER/ADMIN_PASSWORD as
 * HTTP basic, which a browser prompts for), never to a workspace role or session. With neither
 * set, nothing is mounted: /admin/queues answers the same 404 as any unknown path.
 *
 * Queues are refreshed on each request rather than fixed at mount time: a process opens queues
 * lazily (a send queue appears when a channel is added), and a snapshot taken at start-up would
 * miss them. Adapters are rebuilt only when the set of queue names changes.
 */
export function queueDashboardRouter(deps: QueueDashboardDeps): Router {
  const router = Router();
  const credentials: OperatorCredentials = { bearerTokens: deps.operator.token ? [deps.operator.token] : [], basic: deps.operator.basic };
  if (!operatorCanSignIn(credentials)) return router;

  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'OneMessage queues' } } });
  let shownNames = '';

  const refreshQueues: RequestHandler = (_req, _res, next) => {
    const queues = deps.openQueues();
    const names = queues
      .map((q) => q.name)
      .sort()
      .join('\n');
    if (names !== shownNames) {
      board.replaceQueues(queues.map((q) => new BullMQAdapter(q)));
      shownNames = names;
    }
    next();
  };

  const named: RequestHandler = (req, _res, next) => {
    requestState(req).route = QUEUE_DASHBOARD_PATH;
    next();
  };

  router.use(
    QUEUE_DASHBOARD_PATH,
    named,
    operatorGuard(credentials, 'ADMIN_TOKEN as a Bearer token, or ADMIN_USER and ADMIN_PASSWORD as HTTP basic', deps.attempts),
    queueDashboardContentSecurityPolicy(deps.https),
    refreshQueues,
    serverAdapter.getRouter(),
  );
  return router;
}
