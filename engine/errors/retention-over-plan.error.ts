import { AppError } from './app-error.ts';

/** A retention period for message history longer than the workspace's plan keeps it (or "keep for ever" on a limited plan). */
export class RetentionOverPlanError extends AppError {
  readonly code = 'plan_limit_reached';
  readonly disposition = 'user';
  constructor(
    readonly workspaceId: string,
    readonly limit: { kind: string; label: string; planName: string; maxDays: number; asked: number | null },
  ) {
    super(
      `your ${limit.planName} plan keeps message history at most ${limit.maxDays} days: choose ${limit.maxDays} days or fewer for "${limit.label}"${limit.asked === null ? ' (not "keep")' : ''}, or upgrade the plan in Billing`,
      { details: { entitlement: 'retentionDays', plan: limit.planName, limit: limit.maxDays, kind: limit.kind, asked: limit.asked } },
    );
  }
}
