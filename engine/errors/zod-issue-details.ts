import type { z } from 'zod';

/** One problem of an input, for a client to show next to its field: `items.0.text`, `must be an email`. */
export interface IssueDetail {
  path: string;
  message: string;
}

/**
 * zod's issues as the `details` of a ValidationError (the API's `validation_failed`): the one
 * mapping for every edge that parses input (API bodies, the webhook channel, the inbound and
 * outbound pipelines). A symbol key is written as `Symbol(name)` (Array#join would throw on it).
 */
export function zodIssueDetails(error: z.ZodError): IssueDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.map((key) => String(key)).join('.'), message: issue.message }));
}

/**
 * The same issues on one line, for a log, a skip reason or an error message: `key.id Invalid
 * input; …`; an issue of the whole input is its message alone.
 */
export function zodIssueLine(error: z.ZodError): string {
  return zodIssueDetails(error)
    .map((d) => (d.path === '' ? d.message : `${d.path} ${d.message}`))
    .join('; ');
}
