import express, { Router } from 'express';
import type { BillingEvent, BillingProvider } from '../../engine/ports/billing-provider.port.ts';
import { WebhookRejectedError } from '../../engine/errors/webhook-rejected.error.ts';

/** Stripe's events are small; anything larger is not one of them. */
export const STRIPE_WEBHOOK_BODY_LIMIT_BYTES = 512 * 1024;
export const STRIPE_WEBHOOK_PATH = '/hooks/stripe';

export interface StripeWebhookDeps {
  provider: BillingProvider;
  /** Records the event once (by its id) and queues its processing; resolves once it is recorded. */
  accept(event: BillingEvent): Promise<{ duplicate: boolean }>;
}

/**
 * `POST /hooks/stripe`: the signature is checked on the exact bytes received (hence the raw
 * parser, mounted before any JSON parser), with the configured tolerance on its timestamp. A bad
 * signature or an old timestamp answers 400 (Stripe shows it in the endpoint's log). A valid event
 * is recorded and queued, then acknowledged at once: the work happens on the `billing-events`
 * queue, so Stripe never waits on it (it gives up after about 10 s and retries).
 */
export function stripeWebhookRouter(deps: StripeWebhookDeps): Router {
  const router = Router();
  const raw = express.raw({ limit: STRIPE_WEBHOOK_BODY_LIMIT_BYTES, type: () => true });
  router.post(STRIPE_WEBHOOK_PATH, raw, async (req, res, next) => {
    try {
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const event = deps.provider.verifyEvent(body, req.get('stripe-signature'));
      const { duplicate } = await deps.accept(event);
      res.status(200).json({ received: true, duplicate });
    } catch (err) {
      if (err instanceof WebhookRejectedError) {
        res.status(400).json({ error: { code: err.code, message: err.message } });
        return;
      }
      next(err);
    }
  });
  return router;
}
