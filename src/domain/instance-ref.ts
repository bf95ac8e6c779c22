import { ErrorCode, GpuopsError } from '../errors.ts';

/** How people and messages name an instance: `i-3` for the record with id 3. */
export function instanceRef(id: number): string {
  return `i-${id}`;
}

/** The record id an instance reference names; a clear bad_input error for anything else. */
export function parseInstanceRef(ref: string): number {
  const match = /^i-(\d{1,9})$/.exec(ref.trim());
  if (!match) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `"${ref}" is not an instance id. Instance ids look like i-3; say "list my instances" to see yours.`,
    );
  }
  return Number(match[1]);
}
