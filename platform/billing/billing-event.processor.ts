import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { PlanCatalog } from '../../engine/billing/plans.ts';
import { planForSubscription, type SubscriptionStatus } from '../../engine/billing/subscription-plan.ts';
import type { BillingEvent, BillingProvider, CardSummary, ProviderSubscription } from '../../engine/ports/billing-provider.port.ts';
import { audit } from '../audit/audit-log.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { accountOfCustomer, updateAccount, type BillingAccount } from './billing-account.sql.ts';
import { StoredBillingEventSchema } from './billing-event-intake.ts';

const SYSTEM = { kind: 'system', id: null } as const;

/** `payload` is null once the event is processed (kept without its body). */
const StoredEventRow = z.object({ payload: StoredBillingEventSchema.nullable(), processedAt: z.date().nullable() });
const WorkspacePlanRow = z.object({ plan: z.string() });

/** Statuses after which a subscription no longer pays: an older subscription ending must not undo a newer one. */
const ENDED = new Set(['canceled', 'incomplete_expired', 'unpaid']);

/** What writing a subscription's current state to its account did. */
type SubscriptionOutcome =
  | `ignored: ${string} is not the workspace's subscription any more`
  | 'ignored: workspace deleted'
  | `plan ${string} (${SubscriptionStatus})`
  | `plan ${string} → ${string} (${SubscriptionStatus})`;

/**
 * What processing a billing event did, in words: the job's return value, and `billing_events.outcome`
 * of an event claimed. An invoice's is Stripe's status, followed (`; …`) by a SubscriptionOutcome
 * when the invoice has a subscription.
 */
export type BillingEventOutcome =
  | 'unknown event'
  | 'already processed'
  | 'ignored: unknown customer'
  | 'ignored: no subscription'
  | 'ignored: checkout of another workspace'
  | `ignored: ${string} is not used`
  | SubscriptionOutcome
  | 'owners told: the trial ends soon'
  | `invoice ${string}`
  | 'card unchanged'
  | `card ${string} ${string}`
  | 'customer unchanged'
  | 'billing address updated';

/** An event applied: its outcome, and the workspace whose plan it changed. */
interface Applied<Outcome extends BillingEventOutcome = BillingEventOutcome> {
  outcome: Outcome;
  planChangedFor?: string;
}

function newer(eventAt: Date, appliedAt: Date | null): boolean {
  return appliedAt === null || eventAt.getTime() >= appliedAt.getTime();
}

function cardChange(card: CardSummary, at: Date) {
  return { cardBrand: card.brand, cardLast4: card.last4, cardExpMonth: card.expMonth, cardExpYear: card.expYear, cardEventAt: at };
}

/**
 * Applies one recorded Stripe event (a job of the `billing-events` queue). What the provider
 * holds is read first, outside any transaction; then one transaction claims the event (it is
 * processed once: `processed_at` is set only if still null) and writes what follows from it.
 *
 * Converging whatever the order: subscription events never trust the payload's state; the
 * subscription is read again from Stripe, so an old `updated` processed after a newer one writes
 * today's state, not yesterday's. The account row is locked while writing, so two workers apply
 * one after the other. Parts written from a payload (invoices, a card attached) keep the time of
 * the event that wrote them and ignore older events.
 */
export class BillingEventProcessor {
  constructor(
    private readonly deps: {
      orm: Orm;
      provider: BillingProvider;
      catalog: PlanCatalog;
      logger: Logger;
      planChanged?: (workspaceId: string) => Promise<void>;
    },
  ) {}

  /** Processes the event; answers what was done (the job's return value). Throws to be retried. */
  async process(eventId: string): Promise<BillingEventOutcome> {
    const em = this.deps.orm.em.fork();
    const row = (
      await runSql(
        em,
        `select payload, processed_at as "processedAt" from billing_events where id = :eventId`,
        { eventId },
        { row: StoredEventRow },
      )
    ).rows[0];
    if (!row) return 'unknown event';
    if (row.processedAt !== null || row.payload === null) return 'already processed';
    const event = row.payload;
    try {
      const result = await this.apply(em, event);
      if (result.planChangedFor)
        await this.deps
          .planChanged?.(result.planChangedFor)
          .catch((err: unknown) =>
            this.deps.logger.warn(
              { err, workspaceId: result.planChangedFor },
              'billing: follow-up of a plan change failed; the billing reconciler does it later',
            ),
          );
      return result.outcome;
    } catch (err) {
      await runSql(em, `update billing_events set attempts = attempts + 1, last_error = :error where id = :eventId`, {
        eventId,
        error: String((err as Error).message ?? err).slice(0, 500),
      });
      throw err;
    }
  }

  private async apply(em: EntityManager, event: BillingEvent): Promise<Applied> {
    switch (event.type) {
      case 'checkout.session.completed': {
        if (!event.subscriptionId) return this.claimed(em, event, async () => 'ignored: no subscription');
        const sub = await this.deps.provider.retrieveSubscription(event.subscriptionId);
        return this.withAccount(em, event, sub.customerId, (tx, account) => {
          if (event.workspaceId !== null && event.workspaceId !== account.workspaceId)
            return Promise.resolve({ outcome: 'ignored: checkout of another workspace' });
          return this.applySubscription(tx, account, sub, event.created);
        });
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const sub = await this.deps.provider.retrieveSubscription(event.subscriptionId);
        return this.withAccount(em, event, sub.customerId, (tx, account) => this.applySubscription(tx, account, sub, event.created));
      }
      case 'customer.subscription.trial_will_end':
        return this.withAccount(em, event, event.customerId, async (tx, account) => {
          audit(tx, {
            workspaceId: account.workspaceId,
            actor: SYSTEM,
            action: 'billing.trial_will_end',
            details: { trialEnd: event.trialEnd?.toISOString() ?? null },
          });
          return { outcome: 'owners told: the trial ends soon' };
        });
      case 'invoice.paid':
      case 'invoice.payment_failed':
      case 'invoice.payment_action_required': {
        const invoice = event.invoice;
        const sub = invoice.subscriptionId ? await this.deps.provider.retrieveSubscription(invoice.subscriptionId) : null;
        return this.withAccount(em, event, event.customerId, async (tx, account) => {
          await runSql(
            tx,
            `insert into billing_invoices (id, workspace_id, number, status, amount_due, amount_paid, currency, hosted_invoice_url, created_at, event_at)
             values (:id, :workspaceId, :number, :status, :amountDue, :amountPaid, :currency, :url, :createdAt, :eventAt)
             on conflict (id) do update set number = excluded.number, status = excluded.status, amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
                    hosted_invoice_url = excluded.hosted_invoice_url, event_at = excluded.event_at
              where billing_invoices.workspace_id = excluded.workspace_id and billing_invoices.event_at <= excluded.event_at`,
            {
              id: invoice.id,
              workspaceId: account.workspaceId,
              number: invoice.number,
              status: invoice.status,
              amountDue: invoice.amountDue,
              amountPaid: invoice.amountPaid,
              currency: invoice.currency,
              url: invoice.hostedInvoiceUrl,
              createdAt: invoice.createdAt,
              eventAt: event.created,
            },
          );
          if (event.type !== 'invoice.paid') {
            audit(tx, {
              workspaceId: account.workspaceId,
              actor: SYSTEM,
              action: event.type === 'invoice.payment_failed' ? 'billing.payment_failed' : 'billing.payment_action_required',
              details: { invoiceNumber: invoice.number, amountDue: invoice.amountDue, currency: invoice.currency },
            });
          }
          const applied = sub ? await this.applySubscription(tx, account, sub, event.created) : null;
          return {
            outcome: `invoice ${invoice.status}${applied ? `; ${applied.outcome}` : ''}`,
            ...(applied?.planChangedFor ? { planChangedFor: applied.planChangedFor } : {}),
          };
        });
      }
      case 'payment_method.attached': {
        const customer = event.customerId ? await this.deps.provider.retrieveCustomer(event.customerId) : null;
        return this.withAccount(em, event, event.customerId, async (tx, account) => {
          // The customer's default card when set; otherwise the card just attached, if none is stored.
          const card = customer?.card ?? (account.cardLast4 === null ? event.card : null);
          if (!card || !newer(event.created, account.cardEventAt)) return { outcome: 'card unchanged' };
          await updateAccount(tx, account.workspaceId, cardChange(card, event.created));
          return { outcome: `card ${card.brand} ${card.last4}` };
        });
      }
      case 'customer.updated': {
        const customer = event.customerId ? await this.deps.provider.retrieveCustomer(event.customerId) : null;
        return this.withAccount(em, event, event.customerId, async (tx, account) => {
          if (!customer || customer.deleted || !newer(event.created, account.addressEventAt)) return { outcome: 'customer unchanged' };
          await updateAccount(tx, account.workspaceId, {
            billingAddress: customer.address,
            addressEventAt: event.created,
            ...(customer.card && newer(event.created, account.cardEventAt) ? cardChange(customer.card, event.created) : {}),
          });
          return { outcome: 'billing address updated' };
        });
      }
      case 'unhandled':
        return this.claimed(em, event, async () => `ignored: ${event.providerType} is not used`);
    }
  }

  /** Runs `write` with the customer's account locked, in the transaction that claims the event. */
  private withAccount(
    em: EntityManager,
    event: BillingEvent,
    customerId: string | null,
    write: (tx: EntityManager, account: BillingAccount) => Promise<Applied>,
  ): Promise<Applied> {
    return this.claimedWith(em, event, async (tx) => {
      const account = customerId ? await accountOfCustomer(tx, customerId) : null;
      // A customer this server did not create (another product on the same Stripe account).
      if (!account) return { outcome: 'ignored: unknown customer' };
      return write(tx, account);
    });
  }

  private claimed(em: EntityManager, event: BillingEvent, write: () => Promise<BillingEventOutcome>): Promise<Applied> {
    return this.claimedWith(em, event, async () => ({ outcome: await write() }));
  }

  /** One transaction: claims the event (or finds it processed meanwhile), writes, records the outcome. */
  private async claimedWith(em: EntityManager, event: BillingEvent, write: (tx: EntityManager) => Promise<Applied>): Promise<Applied> {
    return em.transactional(async (tx) => {
      const claim = await runSql(tx, `select id from billing_events where id = :id and processed_at is null for update`, { id: event.id });
      if (claim.rowCount === 0) return { outcome: 'already processed' };
      const result = await write(tx);
      await runSql(
        tx,
        `update billing_events set processed_at = now(), outcome = :outcome, payload = null, attempts = attempts + 1, last_error = null where id = :id`,
        { id: event.id, outcome: result.outcome },
      );
      return result;
    });
  }

  /** Writes the subscription's current state (read from Stripe) to the account, the plan and the usage period. */
  private async applySubscription(
    tx: EntityManager,
    account: BillingAccount,
    sub: ProviderSubscription,
    eventAt: Date,
  ): Promise<Applied<SubscriptionOutcome>> {
    if (account.stripeSubscriptionId !== null && account.stripeSubscriptionId !== sub.id && ENDED.has(sub.status)) {
      return { outcome: `ignored: ${sub.id} is not the workspace's subscription any more` };
    }
    const workspace = (
      await runSql(tx, `select plan from workspaces where id = :id for update`, { id: account.workspaceId }, { row: WorkspacePlanRow })
    ).rows[0];
    if (!workspace) return { outcome: 'ignored: workspace deleted' };
    const { planId, unknownPrice } = planForSubscription(sub, this.deps.catalog, workspace.plan);
    if (unknownPrice)
      this.deps.logger.error(
        { workspaceId: account.workspaceId, priceId: sub.priceId },
        'billing: a subscription to a price no plan names; the plan is left as it was (check BILLING_PLANS_FILE or STRIPE_PRICE_*)',
      );
    await updateAccount(tx, account.workspaceId, {
      stripeSubscriptionId: sub.id,
      subscriptionStatus: sub.status,
      priceId: sub.priceId,
      currentPeriodStart: sub.currentPeriodStart,
      currentPeriodEnd: sub.currentPeriodEnd,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
      subscriptionEventAt: account.subscriptionEventAt && account.subscriptionEventAt > eventAt ? account.subscriptionEventAt : eventAt,
      ...(sub.card && newer(eventAt, account.cardEventAt) ? cardChange(sub.card, eventAt) : {}),
    });
    if (account.subscriptionStatus !== sub.status && sub.status === 'past_due') {
      audit(tx, { workspaceId: account.workspaceId, actor: SYSTEM, action: 'billing.payment_past_due', details: { plan: planId } });
    }
    // The usage period follows the paid period; what was used is kept unless a new period began.
    if (sub.currentPeriodStart && sub.currentPeriodEnd && planId !== 'free') {
      await runSql(
        tx,
        `update billing_usage set
                automated_messages = case when cast(:start as timestamptz) >= period_end then 0 else automated_messages end,
                agent_messages = case when cast(:start as timestamptz) >= period_end then 0 else agent_messages end,
                broadcast_recipients = case when cast(:start as timestamptz) >= period_end then 0 else broadcast_recipients end,
                period_start = :start, period_end = :end, updated_at = now()
          where workspace_id = :workspaceId and (period_start, period_end) is distinct from (cast(:start as timestamptz), cast(:end as timestamptz))`,
        { workspaceId: account.workspaceId, start: sub.currentPeriodStart, end: sub.currentPeriodEnd },
      );
    }
    if (planId === workspace.plan) return { outcome: `plan ${planId} (${sub.status})` };
    await runSql(tx, `update workspaces set plan = :planId, updated_at = now() where id = :id`, { id: account.workspaceId, planId });
    audit(tx, {
      workspaceId: account.workspaceId,
      actor: SYSTEM,
      action: 'billing.plan_changed',
      target: { kind: 'workspace', id: account.workspaceId },
      details: { from: workspace.plan, to: planId, status: sub.status },
    });
    return { outcome: `plan ${workspace.plan} → ${planId} (${sub.status})`, planChangedFor: account.workspaceId };
  }
}
