import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import {
  ENTITLEMENT_LABELS,
  ENTITLEMENTS,
  PlanCatalog,
  SELF_HOSTED_PLAN,
  type Entitlement,
  type Plan,
} from '../../engine/billing/plans.ts';
import { thresholdReached, type UsageThreshold } from '../../engine/billing/usage-thresholds.ts';
import { BillingDisabledError } from '../../engine/errors/billing-disabled.error.ts';
import { ValidationError } from '../../engine/errors/app-error.ts';
import { QuotaExceededError } from '../../engine/errors/quota-exceeded.error.ts';
import type { BillingAddress, BillingEvent, BillingProvider, CardSummary } from '../../engine/ports/billing-provider.port.ts';
import { audit, type AuditInput } from '../audit/audit-log.ts';
import type { Orm } from '../db/orm.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { loadAccount, lockOrCreateAccount, updateAccount } from './billing-account.sql.ts';
import type { BillingConfig } from './billing-config.ts';
import { enqueueBillingEvent, recordBillingEvent } from './billing-event-intake.ts';
import { assertCanAdd, countUsed, type CountedEntitlement } from './plan-limits.ts';
import { UsageMeter } from './usage-meter.ts';
import { readUsage, type PeriodUsage } from './usage-deltas.ts';

export interface UsageLine {
  entitlement: Entitlement | 'agentMessages';
  label: string;
  /** Null where nothing is counted (retention is a setting, not a count). */
  used: number | null;
  limit: number | null;
  threshold: UsageThreshold | null;
}

export interface BillingOverview {
  enabled: boolean;
  plan: Plan;
  plans: (Plan & { current: boolean; purchasable: boolean })[];
  subscription: { status: string; cancelAtPeriodEnd: boolean } | null;
  period: { start: Date; end: Date };
  usage: UsageLine[];
  /** The highest threshold any counted entitlement reached (the editor's banner). */
  alert: { threshold: UsageThreshold; entitlement: Entitlement; label: string } | null;
  card: CardSummary | null;
  billingAddress: BillingAddress | null;
  invoices: z.infer<typeof InvoiceRow>[];
}

/** An invoice of the overview, as billing_invoices stores it (amounts in cents). */
const InvoiceRow = z.object({
  id: z.string(),
  number: z.string().nullable(),
  status: z.string(),
  amountDue: z.number(),
  amountPaid: z.number(),
  currency: z.string(),
  hostedInvoiceUrl: z.string().nullable(),
  createdAt: z.date(),
});
const WorkspacePlanRow = z.object({ plan: z.string() });
const WorkspaceNameRow = z.object({ name: z.string() });

/** The editor's billing page, where Checkout and the portal send the owner back. */
export const BILLING_PAGE_PATH = '/settings/billing';

/**
 * Plans, limits and Stripe for the API. With billing off (no STRIPE_SECRET_KEY) every workspace
 * has the unlimited self-hosted plan, no limit is checked, and nothing calls Stripe: checkout and
 * portal answer `billing_disabled`, and the webhook route is not mounted.
 */
export class Billing {
  readonly catalog: PlanCatalog;
  readonly meter: UsageMeter;
  readonly enabled: boolean;

  constructor(
    private readonly deps: {
      config: BillingConfig | undefined;
      provider: BillingProvider | null;
      orm: Orm;
      queues: QueueFactory;
      clock: Clock;
      publicUrl: string;
    },
  ) {
    this.enabled = Boolean(deps.config?.stripe) && deps.provider !== null;
    this.catalog = new PlanCatalog(deps.config?.plans ?? []);
    this.meter = new UsageMeter(this.enabled ? this.catalog.plans : null);
  }

  /** The provider, for the webhook route; null with billing off. */
  get provider(): BillingProvider | null {
    return this.enabled ? this.deps.provider : null;
  }

  /** The plan a workspace has now. */
  async planOf(em: EntityManager, workspaceId: string): Promise<Plan> {
    if (!this.enabled) return SELF_HOSTED_PLAN;
    const row = (await runSql(em, `select plan from workspaces where id = :workspaceId`, { workspaceId }, { row: WorkspacePlanRow }))
      .rows[0];
    return this.catalog.plan(row?.plan ?? 'free');
  }

  /** Refuses one more number, seat or active flow over the plan's limit (PlanLimitReachedError). Inside the adding transaction. */
  async assertCanAdd(em: EntityManager, workspaceId: string, entitlement: CountedEntitlement): Promise<void> {
    if (!this.enabled) return;
    await assertCanAdd(em, workspaceId, await this.planOf(em, workspaceId), entitlement);
  }

  /** Refuses to start or resume a broadcast while the period's automated messages or recipients are used up. */
  async assertQuotaLeft(em: EntityManager, workspaceId: string): Promise<void> {
    if (!this.enabled) return;
    const plan = await this.planOf(em, workspaceId);
    const usage = await this.usage(em, workspaceId);
    for (const [entitlement, used] of [
      ['messagesPerPeriod', usage.automatedMessages],
      ['broadcastRecipientsPerMonth', usage.broadcastRecipients],
    ] as const) {
      const limit = plan.entitlements[entitlement];
      if (limit !== null && used >= limit)
        throw new QuotaExceededError(workspaceId, {
          entitlement: ENTITLEMENT_LABELS[entitlement],
          planName: plan.name,
          limit,
          used,
          periodEnd: usage.periodEnd,
        });
    }
  }

  /** What the billing page shows. */
  async overview(em: EntityManager, workspaceId: string): Promise<BillingOverview> {
    const plan = await this.planOf(em, workspaceId);
    const account = this.enabled ? await loadAccount(em, workspaceId) : null;
    const usage = await this.usage(em, workspaceId);
    const counted: Record<CountedEntitlement, number> = {
      numbers: await countUsed(em, workspaceId, 'numbers'),
      seats: await countUsed(em, workspaceId, 'seats'),
      activeFlows: await countUsed(em, workspaceId, 'activeFlows'),
    };
    const usedOf: Record<Entitlement, number | null> = {
      messagesPerPeriod: usage.automatedMessages,
      broadcastRecipientsPerMonth: usage.broadcastRecipients,
      retentionDays: null,
      ...counted,
    };
    const lines: UsageLine[] = ENTITLEMENTS.map((entitlement) => {
      const used = usedOf[entitlement];
      const limit = plan.entitlements[entitlement];
      return {
        entitlement,
        label: ENTITLEMENT_LABELS[entitlement],
        used,
        limit,
        threshold: used === null ? null : thresholdReached(used, limit),
      };
    });
    lines.splice(1, 0, {
      entitlement: 'agentMessages',
      label: "agents' replies this period (not limited)",
      used: usage.agentMessages,
      limit: null,
      threshold: null,
    });
    let alert: BillingOverview['alert'] = null;
    for (const line of lines) {
      if (line.threshold === null || line.entitlement === 'agentMessages') continue;
      if (!alert || line.threshold > alert.threshold)
        alert = { threshold: line.threshold, entitlement: line.entitlement, label: line.label };
    }
    const invoices = this.enabled
      ? (
          await runSql(
            em,
            `select id, number, status, amount_due::int as "amountDue", amount_paid::int as "amountPaid", currency, hosted_invoice_url as "hostedInvoiceUrl", created_at as "createdAt"
               from billing_invoices where workspace_id = :workspaceId order by created_at desc limit 12`,
            { workspaceId },
            { row: InvoiceRow },
          )
        ).rows
      : [];
    return {
      enabled: this.enabled,
      plan,
      plans: this.enabled
        ? this.catalog.plans.map((p) => ({ ...p, current: p.id === plan.id, purchasable: p.stripePriceId !== null }))
        : [],
      subscription: account?.subscriptionStatus
        ? { status: account.subscriptionStatus, cancelAtPeriodEnd: account.cancelAtPeriodEnd }
        : null,
      period: { start: usage.periodStart, end: usage.periodEnd },
      usage: lines,
      alert,
      card: account?.cardLast4
        ? {
            brand: account.cardBrand ?? 'card',
            last4: account.cardLast4,
            expMonth: account.cardExpMonth ?? 0,
            expYear: account.cardExpYear ?? 0,
          }
        : null,
      billingAddress: account?.billingAddress ?? null,
      invoices,
    };
  }

  /**
   * A Checkout Session URL that subscribes the workspace to `planId`. The workspace's Stripe
   * customer is created on the first checkout, under the account row's lock (and with an
   * idempotency key), so two clicks at once make one customer.
   */
  async checkout(
    em: EntityManager,
    input: { workspaceId: string; planId: string; actor: AuditInput['actor']; email: string | null },
  ): Promise<{ url: string }> {
    const provider = this.requireProvider();
    const plan = this.catalog.has(input.planId) ? this.catalog.plan(input.planId) : null;
    if (!plan?.stripePriceId)
      throw new ValidationError(`plan ${input.planId} cannot be bought here`, {
        details: [
          {
            path: 'plan',
            message: `must be one of: ${this.catalog.plans
              .filter((p) => p.stripePriceId)
              .map((p) => p.id)
              .join(', ')}`,
          },
        ],
      });
    const customerId = await this.customerOf(em, input.workspaceId, input.email);
    const { url } = await provider.createCheckoutSession({
      customerId,
      priceId: plan.stripePriceId,
      workspaceId: input.workspaceId,
      successUrl: `${this.deps.publicUrl}${BILLING_PAGE_PATH}?checkout=done`,
      cancelUrl: `${this.deps.publicUrl}${BILLING_PAGE_PATH}?checkout=cancelled`,
    });
    audit(em, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: 'billing.checkout_started',
      target: { kind: 'workspace', id: input.workspaceId },
      details: { plan: plan.id },
    });
    await em.flush();
    return { url };
  }

  /** A Customer Portal URL (card, plan, invoices, cancel). */
  async portal(em: EntityManager, workspaceId: string): Promise<{ url: string }> {
    const provider = this.requireProvider();
    const customerId = await this.customerOf(em, workspaceId, null);
    return provider.createPortalSession({ customerId, returnUrl: `${this.deps.publicUrl}${BILLING_PAGE_PATH}` });
  }

  /**
   * Records a verified webhook event once and queues its processing. Answers once it is recorded,
   * without waiting for the job: a Redis connection waits for Redis to return before it fails,
   * and Stripe must not wait with it. A job lost that way is queued by the billing reconciler
   * (BILLING_EVENT_GRACE_MS after the event arrived).
   */
  async acceptEvent(event: BillingEvent): Promise<{ duplicate: boolean }> {
    const recorded = await recordBillingEvent(this.deps.orm.em.fork(), event);
    if (recorded.pending) void enqueueBillingEvent(this.deps.queues, event.id).catch(() => undefined);
    return { duplicate: recorded.duplicate };
  }

  private requireProvider(): BillingProvider {
    if (!this.enabled || !this.deps.provider) throw new BillingDisabledError();
    return this.deps.provider;
  }

  private async customerOf(em: EntityManager, workspaceId: string, email: string | null): Promise<string> {
    const existing = await loadAccount(em, workspaceId);
    if (existing?.stripeCustomerId) return existing.stripeCustomerId;
    return em.transactional(async (tx) => {
      const account = await lockOrCreateAccount(tx, workspaceId);
      if (account.stripeCustomerId) return account.stripeCustomerId;
      const name =
        (await runSql(tx, `select name from workspaces where id = :workspaceId`, { workspaceId }, { row: WorkspaceNameRow })).rows[0]
          ?.name ?? 'Workspace';
      const { id } = await this.requireProvider().createCustomer({
        workspaceId,
        name,
        email,
        idempotencyKey: `onemessage-customer-${workspaceId}`,
      });
      await updateAccount(tx, workspaceId, { stripeCustomerId: id });
      return id;
    });
  }

  /** The workspace's usage in the current period (see readUsage). */
  private usage(em: EntityManager, workspaceId: string): Promise<PeriodUsage> {
    return readUsage(em, workspaceId, this.deps.clock);
  }
}
