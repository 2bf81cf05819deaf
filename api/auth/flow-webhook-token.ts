/** The path an outside system posts to; the API is mounted elsewhere, so no `/api` prefix. */
export function flowWebhookPath(flowId: string, token: string): string {
  return `/hooks/flows/${flowId}/${token}`;
}
