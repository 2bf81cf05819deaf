import { Router } from 'express';
import { requestState } from '../register-routes.ts';

/** `GET /healthz`: the process is alive and answering. Calls no dependency, so a database outage does not get the process restarted. */
export function healthRouter(): Router {
  const router = Router();
  router.get('/healthz', (req, res) => {
    requestState(req).route = '/healthz';
    res.json({ status: 'ok' });
  });
  return router;
}
