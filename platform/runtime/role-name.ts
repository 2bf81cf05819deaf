/** The roles a OneMessage process can play; `start` plays all three. */
export const ROLE_NAMES = ['api', 'worker', 'connector'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
