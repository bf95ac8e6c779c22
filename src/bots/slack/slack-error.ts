/** What Slack said went wrong (its error code, e.g. `not_in_channel`), else the error's message. */
export function slackError(err: unknown): string {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error ?? (err instanceof Error ? err.message : String(err));
}
