import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { useEmbeddedPostgres } from '../support/index.ts';

/**
 * PGlite is one database session shared by every socket connection. `pg` sends each
 * parameterised query as Parse, Bind, Describe, Execute and Sync, using the session's unnamed
 * statement and portal; these tests run many such queries from several connections at once, with
 * different parameter counts, so that any interleaving of two queries' messages shows up as a
 * wrong answer or a protocol error ("bind message supplies 2 parameters, but prepared statement
 * requires 1").
 */
describe('the embedded database serves concurrent connections', () => {
  // Registered first, so its stops run after the connections below have ended (hooks unwind).
  const start = useEmbeddedPostgres();
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function connect(embedded: EmbeddedPostgres): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: embedded.connectionString });
    // A protocol mix-up can also surface as an error event; it fails the query it belongs to.
    client.on('error', () => {});
    await client.connect();
    cleanups.push(() => client.end().catch(() => {}));
    return client;
  }

  /** Runs `rounds` queries of three shapes (1, 2 and 7 parameters) on one connection, checking each answer. */
  async function hammer(client: pg.Client, id: number, rounds: number): Promise<string[]> {
    const wrong: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const shape = (i + id) % 3;
      try {
        if (shape === 0) {
          const { rows } = await client.query<{ v: string }>('select $1::text as v', [`c${id}-${i}`]);
          if (rows[0]?.v !== `c${id}-${i}`) wrong.push(`text ${JSON.stringify(rows)}`);
        } else if (shape === 1) {
          const { rows } = await client.query<{ v: number }>('select $1::int + $2::int as v', [id, i]);
          if (rows[0]?.v !== id + i) wrong.push(`sum ${JSON.stringify(rows)}`);
        } else {
          const args = [id, i, 1, 2, 3, 4, 5];
          const { rows } = await client.query<{ v: string }>(
            "select concat_ws(',', $1::int, $2::int, $3::int, $4::int, $5::int, $6::int, $7::int) as v",
            args,
          );
          if (rows[0]?.v !== args.join(',')) wrong.push(`seven ${JSON.stringify(rows)}`);
        }
      } catch (err) {
        wrong.push(`error ${(err as Error).message}`);
      }
    }
    return wrong;
  }

  it("concurrent connections' parameterised queries never mix on the embedded database", async () => {
    const embedded = await start();
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(embedded)));
    // One more connection keeps opening a short transaction: while it holds the session the
    // others' queries pile up, and are let go together when it ends, as with the app's own
    // transactions and BullMQ's. That is when their messages met.
    const holder = await connect(embedded);
    let hammering = true;
    const holding = (async () => {
      while (hammering) {
        await holder.query('begin');
        await holder.query('select $1::int as v', [1]);
        await new Promise((resolve) => setTimeout(resolve, 2));
        await holder.query('commit');
      }
    })();
    const wrong = (await Promise.all(clients.map((client, id) => hammer(client, id, 150)))).flat();
    hammering = false;
    await holding;
    expect({ wrong: wrong.length, first: wrong.slice(0, 5) }).toEqual({ wrong: 0, first: [] });
  });

  it("keeps a transaction's session to its connection while others query, and no one sees its uncommitted rows", async () => {
    const embedded = await start();
    const setup = await connect(embedded);
    await setup.query('create table ledger (id int primary key, owner text not null)');
    const writer = await connect(embedded);
    const readers = await Promise.all([1, 2, 3].map(() => connect(embedded)));

    const problems: string[] = [];
    // Rows committed for sure, and at most (a COMMIT on its way counts as both maybe and not yet).
    let committed = 0;
    let committing = 0;
    const writing = (async () => {
      for (let t = 0; t < 20; t++) {
        await writer.query('begin');
        for (let k = 0; k < 5; k++) {
          await writer.query('insert into ledger (id, owner) values ($1, $2)', [t * 5 + k, `tx${t}`]);
        }
        // Its own uncommitted rows are visible to it, with parameters bound by it.
        const { rows } = await writer.query<{ n: number }>(
          'select count(*)::int as n from ledger where owner = $1',
          [`tx${t}`],
        );
        if (rows[0]?.n !== 5) problems.push(`writer saw ${rows[0]?.n} of its 5 rows in tx${t}`);
        // Every other transaction is rolled back, and must leave nothing.
        if (t % 2 === 0) {
          committing += 5;
          await writer.query('commit');
          committed += 5;
        } else {
          await writer.query('rollback');
        }
      }
    })();
    const reading = readers.map(async (reader, id) => {
      problems.push(...(await hammer(reader, id, 60)));
      for (let i = 0; i < 30; i++) {
        const before = committed;
        const { rows } = await reader.query<{ n: number }>(
          'select count(*)::int as n from ledger where id >= $1',
          [0],
        );
        const n = rows[0]?.n ?? -1;
        // Only whole, committed transactions: a multiple of 5, never a rolled-back one's rows.
        if (n % 5 !== 0 || n < before || n > committing)
          problems.push(`reader saw ${n} rows (committed ${committed})`);
      }
    });
    await Promise.all([writing, ...reading]);
    expect(problems).toEqual([]);
    const { rows } = await setup.query<{ n: number }>('select count(*)::int as n from ledger');
    expect(rows[0]?.n).toBe(50);
  });

  it('reads a result in pages (Execute with a row limit, then Flush) while other connections query', async () => {
    const embedded = await start();
    const pager = await connect(embedded);
    const others = await Promise.all([1, 2].map(() => connect(embedded)));
    // With `rows`, pg fetches the portal a few rows at a time and sends Sync only at the end:
    // the portal lives in the session between pages, and must not be replaced by another's.
    const paged = pager.query<{ g: number }>({
      text: 'select g from generate_series(1, $1::int) g',
      values: [200],
      rows: 7,
    } as pg.QueryConfig);
    const [result, ...wrong] = await Promise.all([
      paged,
      ...others.map((client, id) => hammer(client, id, 60)),
    ]);
    expect(wrong.flat()).toEqual([]);
    expect(result.rows.map((r) => r.g)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('rolls back the transaction of a connection that goes away, and serves the others on', async () => {
    const embedded = await start();
    const setup = await connect(embedded);
    await setup.query('create table notes (v text)');
    const leaver = new pg.Client({ connectionString: embedded.connectionString });
    leaver.on('error', () => {});
    await leaver.connect();
    await leaver.query('begin');
    await leaver.query('insert into notes (v) values ($1)', ['uncommitted']);
    // Gone without COMMIT or ROLLBACK, its socket closed from under it.
    (leaver as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    const other = await connect(embedded);
    const { rows } = await other.query<{ n: number }>('select count(*)::int as n from notes where v = $1', [
      'uncommitted',
    ]);
    expect(rows[0]?.n).toBe(0);
    // Not inside a leftover transaction: this write is committed on its own.
    await other.query('insert into notes (v) values ($1)', ['kept']);
    const { rows: after } = await setup.query<{ v: string }>('select v from notes');
    expect(after.map((r) => r.v)).toEqual(['kept']);
  });

  it('answers a parameter error on one connection without disturbing the others', async () => {
    const embedded = await start();
    const failing = await connect(embedded);
    const others = await Promise.all([1, 2].map(() => connect(embedded)));
    const failures = (async () => {
      const codes: string[] = [];
      for (let i = 0; i < 40; i++) {
        codes.push(
          await failing.query('select $1::int as v', ['not a number']).then(
            () => 'ok',
            (err: { code?: string }) => err.code ?? 'none',
          ),
        );
      }
      return codes;
    })();
    const [codes, ...wrong] = await Promise.all([
      failures,
      ...others.map((client, id) => hammer(client, id, 80)),
    ]);
    expect(new Set(codes)).toEqual(new Set(['22P02']));
    expect(wrong.flat()).toEqual([]);
    const { rows } = await failing.query<{ v: number }>('select $1::int as v', [7]);
    expect(rows[0]?.v).toBe(7);
  });
});
