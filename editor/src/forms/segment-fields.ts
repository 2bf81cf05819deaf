/**
 * What a segment can select on, as a marketer names it: the `contact` facts the server evaluates
 * (engine/broadcasts/segment.ts, SEGMENT_CONTACT_FIELDS). An attribute is picked by its name, a
 * channel by its name. Opted-out, restricted and erased contacts are always left out of an
 * audience whatever the rule says, so the opt-in state offers only "opted in" and "never said".
 */
export interface SegmentField {
  /** The json-logic variable, or the prefix of one (`contact.attributes.` + a name). */
  path: string;
  label: string;
  /** A hint for the value box: what a value looks like for this field. */
  placeholder?: string;
  /** The values it can take, picked from a list instead of typed: fixed ones, or the workspace's channels by name. */
  choices?: readonly { value: string; label: string }[] | 'channels';
  /** The operator a new row on this field starts with (a channel list "contains" one). */
  operator?: 'equals' | 'contains' | 'greater';
}

export const ATTRIBUTE_PREFIX = 'contact.attributes.';

export const SEGMENT_FIELDS: readonly SegmentField[] = [
  { path: 'contact.tags', label: 'Tags', placeholder: 'vip' },
  { path: ATTRIBUTE_PREFIX, label: 'An attribute (by its name)…', placeholder: 'pro' },
  {
    path: 'contact.optIn',
    label: 'Opt-in state',
    operator: 'equals',
    choices: [
      { value: 'opted_in', label: 'Opted in' },
      { value: 'unknown', label: 'Never said' },
    ],
  },
  { path: 'contact.daysSinceLastMessage', label: 'Days since their last message', placeholder: '30', operator: 'greater' },
  { path: 'contact.lastSeenAt', label: 'Last message from them (date)', placeholder: '2026-11-01' },
  { path: 'contact.channels', label: 'Channel', choices: 'channels', operator: 'contains' },
  { path: 'contact.createdAt', label: 'Added on (date)', placeholder: '2026-01-31' },
  { path: 'contact.name', label: 'Name', placeholder: 'Ada' },
  { path: 'contact.phone', label: 'Phone', placeholder: '+5511999998888' },
];

/** The list entry a row's field belongs to, and the attribute name when it is an attribute; null for a field not in the list. */
export function segmentFieldOf(path: string): { field: SegmentField; attribute: string | null } | null {
  if (path.startsWith(ATTRIBUTE_PREFIX))
    return { field: SEGMENT_FIELDS.find((f) => f.path === ATTRIBUTE_PREFIX)!, attribute: path.slice(ATTRIBUTE_PREFIX.length) };
  const field = SEGMENT_FIELDS.find((f) => f.path === path);
  return field ? { field, attribute: null } : null;
}
