import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { embeddedSnapshot, useEmbeddedPostgres } from '../support/index.ts';

/** The uid and gid of `nobody` on Linux: a local user who is not gpuops's. */
const STRANGER = { uid: 65_534, gid: 65_534 };

/**
 * A pg client in a process of its own (run as `uid`/`gid` when given) that tries to read and then
 * write a table: prints what each attempt got, "ok" or the error's code.
 */
const CLIENT_SCRIPT = `
const [pgUrl, connectionString] = process.argv.slice(1);
const { default: pg } = await import(pgUrl);
const attempt = async (sql) => {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(sql);
    return 'ok';
  } catch (err) {
    return err.code ?? err.message;
  } finally {
    await client.end().catch(() => {});
  }
};
const read = await attempt('select v from probe');
const write = await attempt("insert into probe (v) values ('stranger')");
process.stdout.write(JSON.stringify({ read, write }));
`;

async function runClient(
  connectionString: string,
  as?: { uid: number; gid: number },
): Promise<{ read: string; write: string }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', CLIENT_SCRIPT, import.meta.resolve('pg'), connectionString],
    { ...as, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
  );
  return JSON.parse(stdout) as { read: string; write: string };
}

/** Inodes of the TCP sockets this process is listening on (Linux's /proc). */
function listeningTcpInodes(): Set<string> {
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // st 0A is LISTEN; the inode is the tenth field.
      if (fields[3] === '0A' && fields[9]) listening.add(fields[9]);
    }
  }
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && listening.has(inode)) mine.add(inode);
  }
  return mine;
}

async function withProbeTable(embedded: EmbeddedPostgres): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: embedded.connectionString });
  await client.connect();
  await client.query('create table probe (v text)');
  await client.query("insert into probe (v) values ('mine')");
  return client;
}

describe('the embedded database refuses strangers', () => {
  const start = useEmbeddedPostgres();

  it.runIf(process.platform === 'linux')(
    'listens on no TCP port, only on a 0600 socket in a 0700 folder of its own user',
    async () => {
      const before = listeningTcpInodes();
      const embedded = await start();
      const after = listeningTcpInodes();
      expect([...after].filter((inode) => !before.has(inode))).toEqual([]);

      const folder = await stat(embedded.socketDir);
      expect(folder.isDirectory()).toBe(true);
      expect(folder.mode & 0o777).toBe(0o700);
      expect(folder.uid).toBe(process.getuid!());
      const socket = await stat(path.join(embedded.socketDir, '.s.PGSQL.5432'));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o777).toBe(0o600);
      expect(embedded.connectionString).toContain(`host=${encodeURIComponent(embedded.socketDir)}`);
    },
  );

  it.runIf(process.platform === 'linux' && process.getuid?.() === 0)(
    "refuses a pg client run by another local user: it can neither read gpuops's data nor write any",
    async () => {
      const embedded = await start();
      const owner = await withProbeTable(embedded);
      try {
        // The same client as gpuops's own user gets in, so a refusal below is the socket's doing.
        expect(await runClient(embedded.connectionString)).toEqual({ read: 'ok', write: 'ok' });
        await owner.query("delete from probe where v = 'stranger'");

        expect(await runClient(embedded.connectionString, STRANGER)).toEqual({
          read: 'EACCES',
          write: 'EACCES',
        });
        const { rows } = await owner.query<{ v: string }>('select v from probe');
        expect(rows.map((r) => r.v)).toEqual(['mine']);
      } finally {
        await owner.end();
      }
    },
  );

  it('gives two embedded databases on one machine separate sockets that see nothing of each other', async () => {
    const first = await start();
    const second = await start();
    expect(second.socketDir).not.toBe(first.socketDir);
    const owner = await withProbeTable(first);
    const other = new pg.Client({ connectionString: second.connectionString });
    await other.connect();
    try {
      const { rows } = await other.query<{ n: string }>(
        "select count(*) as n from information_schema.tables where table_name = 'probe'",
      );
      expect(rows[0]?.n).toBe('0');
    } finally {
      await other.end();
      await owner.end();
    }
  });

  it('removes its socket folder when it stops, so nothing is left to connect to', async () => {
    const embedded = await startEmbeddedPostgres({ snapshot: await embeddedSnapshot() });
    await embedded.stop();
    await expect(stat(embedded.socketDir)).rejects.toMatchObject({ code: 'ENOENT' });
    const client = new pg.Client({
      connectionString: embedded.connectionString,
      connectionTimeoutMillis: 2_000,
    });
    await expect(client.connect()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
