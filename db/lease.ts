import { type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A lease: a row held by one holder until a time, kept in two of the row's columns. Every lease in
 * gpuops is written and read on one clock, the database's `now()`, which every process shares;
 * a process's own clock never decides who holds what, so a process whose clock runs ahead or
 * behind can neither take a lease early nor keep one longer.
 *
 * - **claim**: the holder takes it for `ms` from now, only where nobody holds it (never taken,
 *   released, or run out);
 * - **renew**: the holder extends it to `ms` from now, only while it is still the holder's: not
 *   released, and not taken by another since. A lease that ran out but that nobody took is still
 *   its holder's (nobody has acted under it meanwhile); one that another took is lost for good;
 * - **release**: the holder lets it go; with `retryInMs`, nobody may take it before then.
 *
 * Each table keeps its lease in columns of its own (`defineLease`); the statements are the
 * table's, with the lease's columns and conditions from here. src/jobs/queue/lease-renewal.ts
 * renews a lease in the background while its holder works.
 */

/** The columns of table `T` whose values read as `V`. */
type ColumnOf<T extends keyof Database, V> = {
  [C in keyof Selectable<Database[T]>]: Selectable<Database[T]>[C] extends V ? C : never;
}[keyof Selectable<Database[T]>] &
  string;

/** One table's lease, in the columns it is kept in. */
export interface Lease<T extends keyof Database, H extends string, U extends string> {
  table: T;
  /** Takes the lease for `holder` for `ms` from now, where nobody holds it. */
  claim(
    holder: string,
    ms: number,
  ): { set: Record<H, string> & Record<U, RawBuilder<Date>>; where: Condition };
  /** Extends `holder`'s lease to `ms` from now, where it is still `holder`'s. */
  renew(holder: string, ms: number): { set: Record<U, RawBuilder<Date>>; where: Condition };
  /** Lets `holder`'s lease go: at once, or nobody may take it for `retryInMs`. */
  release(holder: string, retryInMs?: number): { set: Record<U, RawBuilder<Date> | null>; where: Condition };
  /** Where nobody holds the lease now: never taken, released, or run out. */
  free: Condition;
}

type Condition = RawBuilder<SqlBool>;

/**
 * The lease kept in `table`'s `holder` and `until` columns; `holder` names who holds it, `until`
 * when it runs out (null: released).
 */
export function defineLease<
  T extends keyof Database,
  H extends ColumnOf<T, string | null>,
  U extends ColumnOf<T, Date | null>,
>(table: T, columns: { holder: H; until: U }): Lease<T, H, U> {
  const holderRef = sql.ref(columns.holder);
  const untilRef = sql.ref(columns.until);
  const free = sql<SqlBool>`(${untilRef} is null or ${untilRef} < now())`;
  const heldBy = (holder: string) => sql<SqlBool>`(${holderRef} = ${holder} and ${untilRef} is not null)`;
  return {
    table,
    free,
    claim: (holder, ms) => ({
      set: { ...column(columns.holder, holder), ...column(columns.until, leaseEnd(ms)) },
      where: free,
    }),
    renew: (holder, ms) => ({ set: column(columns.until, leaseEnd(ms)), where: heldBy(holder) }),
    release: (holder, retryInMs = 0) => ({
      set: column(columns.until, retryInMs > 0 ? leaseEnd(retryInMs) : null),
      where: sql<SqlBool>`${holderRef} = ${holder}`,
    }),
  };
}

/** `ms` from now on the database's clock. */
function leaseEnd(ms: number): RawBuilder<Date> {
  return sql<Date>`now() + ${Math.max(0, Math.ceil(ms))} * interval '1 millisecond'`;
}

/** `{ [key]: value }`, typed by its key (TypeScript widens a computed key of a generic type to `string`). */
function column<K extends string, V>(key: K, value: V): Record<K, V> {
  return { [key]: value } as Record<K, V>;
}
