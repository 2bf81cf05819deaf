import express, { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { AcceptedInbound, InboundMessage } from '../../engine/ports/inbound-message.ts';
import { BodyTooDeepError } from '../../engine/errors/body-too-deep.error.ts';
import { jsonNestsDeeperThan, MAX_JSON_BODY_DEPTH } from '../../platform/http/json-nesting-depth.ts';
import { nulPath } from '../../platform/http/json-nul-character.ts';
import { NulCharacterError } from '../../engine/errors/nul-character.error.ts';
import type { WebhookChannels } from './webhook-channels.ts';
import { WebhookInboundSchema } from './channel-payloads.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from './webhook-signature.ts';
import { zodIssueDetails } from '../../engine/errors/zod-issue-details.ts';

const Params = z.object({ id: z.uuid() });

export interface WebhookInboundDeps {
  channels: WebhookChannels;
  clock: Clock;
  bodyLimitBytes: number;
  inbound: { accept(message: InboundMessage): Promise<AcceptedInbound> };
  statuses: { apply(update: ProviderStatusUpdate): Promise<boolean> };
}

function problem(res: express.Response, status: number, code: string, message: string, details?: unknown): void {
  res.status(status).json({ error: { code, message, ...(details === undefined ? {} : { details }) } });
}

/**
 * `POST /hooks/channels/:id`: another messaging service delivers a message (or a delivery status
 * for one of ours) to a webhook channel. The body is verified on its raw bytes, before parsing:
 * a bad signature or a timestamp more than 5 minutes off is refused with 401. A message is
 * idempotent by the sender's id: a repeat answers 200 with the first message's ids.
 */
export function webhookInboundRouter(deps: WebhookInboundDeps): Router {
  const router = Router();
  const raw = express.raw({ limit: deps.bodyLimitBytes, type: () => true });
  router.post('/hooks/channels/:id', raw, async (req, res, next) => {
    try {
      const params = Params.safeParse(req.params);
      if (!params.success) return problem(res, 404, 'not_found', 'channel was not found');
      const channelId = params.data.id;
      const keys = await deps.channels.keysOf(channelId);
      if (!keys) return problem(res, 404, 'not_found', 'channel was not found');
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const bad = verifyWebhook(
        keys.secret,
        { timestamp: req.get(TIMESTAMP_HEADER), signature: req.get(SIGNATURE_HEADER) },
        body,
        deps.clock.now().getTime(),
      );
      if (bad) return problem(res, 401, bad, `the request is not signed for this channel (${bad.replace(/_/g, ' ')})`);

      // Checked on the raw bytes before parsing, as the API's JSON parser does (api/json-body-parser.ts).
      if (jsonNestsDeeperThan(body, MAX_JSON_BODY_DEPTH)) {
        const tooDeep = new BodyTooDeepError(MAX_JSON_BODY_DEPTH);
        return problem(res, 400, tooDeep.code, tooDeep.message, tooDeep.details);
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return problem(res, 400, 'validation_failed', 'the body is not JSON');
      }
      const nulAt = nulPath(json, '');
      if (nulAt !== null) {
        const nul = new NulCharacterError(nulAt);
        return problem(res, 400, nul.code, nul.message, nul.details);
      }
      const parsed = WebhookInboundSchema.safeParse(json);
      if (!parsed.success) return problem(res, 400, 'validation_failed', 'the webhook payload is invalid', zodIssueDetails(parsed.error));
      const event = parsed.data;
      if (event.event === 'status') {
        // A message's statement checks its channel is live (a deleted one's answers 404); a status has none, so it is checked here.
        if (!(await deps.channels.isLive(channelId))) return problem(res, 404, 'not_found', 'channel was not found');
        const applied = await deps.statuses.apply({
          channelId,
          providerMessageId: event.messageId,
          status: event.status,
          at: event.at ?? deps.clock.now(),
          reason: event.reason,
        });
        return void res.status(202).json({ applied });
      }
      const accepted = await deps.inbound.accept({
        channelId,
        providerMessageId: event.id,
        from: { phone: event.from.phone, name: event.from.name, externalIds: [{ kind: 'external', value: event.from.id }] },
        type: event.type,
        text: event.text ?? event.media?.caption,
        media: event.media,
        quotedProviderMessageId: event.replyTo,
        sentAt: event.sentAt,
      });
      res.status(accepted.duplicate ? 200 : 202).json({
        messageId: accepted.messageId,
        conversationId: accepted.conversationId,
        contactId: accepted.contactId,
        duplicate: accepted.duplicate,
      });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
