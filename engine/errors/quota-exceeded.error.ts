import { AppError } from './app-error.ts';

/**
 * The workspace used every automated message (or broadcast recipient) its plan allows this billing
 * period. Agents' replies still go out; automated sends resume with the next period or a bigger plan.
 */
export class QuotaExceededError extends AppError {
  readonly code = 'quota_exceeded';
  readonly disposition = 'user';
  constructor(
    readonly workspaceId: string,
    readonly quota: { entitlement: string; planName: string; limit: number; used: number; periodEnd: Date },
  ) {
    super(
      `your ${quota.planName} plan allows ${quota.limit} ${quota.entitlement} and all of them are used until ${quota.periodEnd.toISOString().slice(0, 10)}; upgrade the plan in Billing, or wait for the next period`,
      {
        details: {
          entitlement: quota.entitlement,
          plan: quota.planName,
          limit: quota.limit,
          used: quota.used,
          periodEnd: quota.periodEnd.toISOString(),
        },
      },
    );
  }
}
