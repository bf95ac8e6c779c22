/**
 * The label gpuops writes on every machine it rents: the renting operation's id, and for a job's
 * later attempts (each on a machine of its own) the attempt after a dot. A retried rental finds by
 * it what it already rented, and the reconciler tells gpuops's rentals from the rest of the
 * account's machines by it (it never touches a machine without one).
 */

const PREFIX = 'gpuops-';
const LABEL = /^(op-[0-9a-z]{4,40})(?:\.([2-9]|[1-9][0-9]{1,2}))?$/;

export function deployLabel(operationId: string, attempt = 1): string {
  return attempt <= 1 ? `${PREFIX}${operationId}` : `${PREFIX}${operationId}.${attempt}`;
}

/** The operation that rented a machine, or undefined when the label is not gpuops's. */
export function operationOfLabel(label: string | null | undefined): string | undefined {
  if (!label?.startsWith(PREFIX)) return undefined;
  return LABEL.exec(label.slice(PREFIX.length))?.[1];
}
