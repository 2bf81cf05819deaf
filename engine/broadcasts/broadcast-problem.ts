/** Stable codes of what can be wrong with a broadcast. */
export const BROADCAST_PROBLEM_CODES = [
  'segment_invalid',
  'phone_invalid',
  'csv_invalid',
  'audience_empty',
  'template_invalid',
  'template_unknown_variable',
  'template_not_found',
  'schedule_in_past',
  'channel_not_found',
  'flow_not_found',
  'flow_not_published',
  'not_editable',
] as const;
export type BroadcastProblemCode = (typeof BROADCAST_PROBLEM_CODES)[number];

export interface BroadcastProblem {
  code: BroadcastProblemCode;
  message: string;
  /** Where in the broadcast's body: `audience.phones.3`, `content.text`. */
  path: string;
}
