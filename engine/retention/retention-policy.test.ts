import { describe, expect, it } from 'vitest';
import { cutoffOf, DEFAULT_RETENTION_POLICY, policyChanges, resolvePolicy, RetentionPolicyPatchSchema } from './retention-policy.ts';

describe('retention policy', () => {
  it('keeps usage data 30 days and the audit log 2 years by default, everything else until an admin decides', () => {
    expect(resolvePolicy({})).toEqual(DEFAULT_RETENTION_POLICY);
    expect(DEFAULT_RETENTION_POLICY.usage_data).toBe(30);
    expect(DEFAULT_RETENTION_POLICY.audit_log).toBe(730);
    expect(DEFAULT_RETENTION_POLICY.inactive_contacts).toBeNull();
  });

  it('refuses less than a day, and an audit log kept less than a year', () => {
    expect(RetentionPolicyPatchSchema.safeParse({ message_content: 0 }).success).toBe(false);
    expect(RetentionPolicyPatchSchema.safeParse({ audit_log: 364 }).success).toBe(false);
    expect(RetentionPolicyPatchSchema.safeParse({ audit_log: 365, message_content: 1 }).success).toBe(true);
    expect(RetentionPolicyPatchSchema.safeParse({ messages: 5 }).success).toBe(false);
  });

  it('computes the cutoff in whole days and none for a kept kind', () => {
    const now = new Date('2026-12-07T03:00:00Z');
    const policy = resolvePolicy({ message_content: 2 });
    expect(cutoffOf(policy, 'message_content', now)?.toISOString()).toBe('2026-12-05T03:00:00.000Z');
    expect(cutoffOf(policy, 'media_files', now)).toBeNull();
  });

  it('lists old and new values of the kinds that changed', () => {
    expect(policyChanges(DEFAULT_RETENTION_POLICY, resolvePolicy({ usage_data: 7 }))).toEqual({ usage_data: [30, 7] });
  });
});
