import { Router } from 'express';
import { z } from 'zod';
import { hashRandomToken } from '../auth/random-token.ts';
import type { ApiDeps } from '../api-deps.ts';
import { sendError } from '../http-errors.ts';
import { jsonBodyParser } from '../json-body-parser.ts';

const Params = z.object({ flowId: z.uuid(), token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/) });

/**
 * `POST /hooks/flows/:flowId/:token`: an outside system starts a run of a flow with an inbound
 * webhook trigger; its JSON body is the run's trigger input. The token in the URL is the
 * credential (stored hashed), so a wrong one answers 404 like an unknown flow.
 */
export function flowWebhookRouter(deps: Pick<ApiDeps, 'flowWebhooks' | 'config'>): Router {
  const router = Router();
  const json = jsonBodyParser({ limit: deps.config.bodyLimitBytes, strict: false, type: () => true });
  router.post('/hooks/flows/:flowId/:token', json, async (req, res) => {
    const params = Params.safeParse(req.params);
    if (!params.success) return sendError(res, 404, 'not_found', 'webhook was not found');
    const body: unknown = req.body ?? {};
    const result = await deps.flowWebhooks.start(params.data.flowId, hashRandomToken(params.data.token), body);
    res.status(202).json(result);
  });
  return router;
}
