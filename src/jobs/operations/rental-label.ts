/**
 * The label gpuops writes on every machine it rents: the deploy operation's id. A retried deploy
 * finds by it what it already rented, and the reconciler tells gpuops's rentals from the rest of
 * the account's machines by it (it never touches a machine without one).
 */

const PREFIX = 'gpuops-';
const OPERATION_ID = /^op-[0-9a-z]{4,40}$/;

export function deployLabel(operationId: string): string {
  return `${PREFIX}${operationId}`;
}

/** The deploy operation that rented a machine, or undefined when the label is not gpuops's. */
export function operationOfLabel(label: string | null | undefined): string | undefined {
  if (!label?.startsWith(PREFIX)) return undefined;
  const id = label.slice(PREFIX.length);
  return OPERATION_ID.test(id) ? id : undefined;
}
