import type { QuietHours } from '../../engine/broadcasts/broadcast-spec.ts';
import { isValidTimeZone } from '../../engine/flows/zoned-time.ts';

/**
 * Whose clock the quiet hours read: the workspace's, or the contact's own (its `timezone`
 * attribute when that is an IANA zone, else the workspace's).
 */
export function recipientTimeZone(quietHours: QuietHours, attributes: Record<string, unknown>, workspaceTimeZone: string): string {
  if (quietHours.timezone === 'workspace') return workspaceTimeZone;
  const own = attributes.timezone;
  return typeof own === 'string' && isValidTimeZone(own) ? own : workspaceTimeZone;
}
