import { AppError } from './app-error.ts';

/** Adding a number, a seat or an active flow would go over what the workspace's plan allows. */
export class PlanLimitReachedError extends AppError {
  readonly code = 'plan_limit_reached';
  readonly disposition = 'user';
  constructor(
    readonly workspaceId: string,
    readonly limit: { entitlement: string; label: string; planName: string; limit: number; used: number },
  ) {
    super(
      `your ${limit.planName} plan's limit of ${limit.label} is ${limit.limit} and this workspace has ${limit.used}; remove one or upgrade the plan in Billing`,
      {
        details: { entitlement: limit.entitlement, plan: limit.planName, limit: limit.limit, used: limit.used },
      },
    );
  }
}
