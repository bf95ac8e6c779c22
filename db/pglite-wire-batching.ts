import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves one PGlite to many `pg` connections on a Unix socket, handing the database's single
 * session to one connection for a whole unit of work.
 *
 * Why not @electric-sql/pglite-socket's server: its queue takes every wire message as an entry of
 * its own and keeps a connection on the session only inside a transaction. Outside one, the
 * Parse, Bind, Describe, Execute and Sync of one `pg` query are separate entries, so another
 * connection's messages run between them, and (PGlite being one session) overwrite the unnamed
 * statement and portal: "bind message supplies 7 parameters, but prepared statement requires 1",
 * results handed to the wrong query, BullMQ reading `undefined`. The queue and the handler are
 * private to its server, with no option to change how messages are grouped, so this is a small
 * server of our own over the same PGlite calls it uses (`runExclusive`, `execProtocolRawStream`).
 *
 * A connection's messages are held until one that asks for an answer (Sync, simple Query, Flush,
 * COPY data/done/fail, a function call, a password), and then go to PGlite together as one
 * exclusive run. A connection keeps the session, and everyone else waits, while it is inside a
 * transaction (ReadyForQuery 'T' or 'E'), inside a COPY FROM STDIN, or between a Flush and its
 * Sync (a portal read in pages): states the session holds for that connection alone.
 *
 * What stays as it was with pglite-socket: NOTIFY is delivered to whichever connection's run
 * produced it (one session), so LISTEN on another connection hears nothing and BullMQ polls; a
 * cancel request is not acted on (there is no second backend to signal).
 */
export interface PGliteWireServerOptions {
  db: PGlite;
  /** The Unix socket to listen on. */
  path: string;
  /** Connections allowed at once; one more is refused with Postgres's "too many clients". */
  maxConnections: number;
}

const SSL_REQUEST_CODE = 80_877_103;
const GSSENC_REQUEST_CODE = 80_877_104;
const CANCEL_REQUEST_CODE = 80_877_102;
/** A startup packet is small (user, database, a few settings); anything bigger is not one. */
const MAX_STARTUP_LENGTH = 10_000;

/**
 * Extended-protocol messages that never get an answer on their own: Postgres answers them when
 * a Sync or Flush follows. Held back so that one query's messages run together. Every other
 * message (Sync 'S', Query 'Q', Flush 'H', FunctionCall 'F', CopyData/Done/Fail 'd' 'c' 'f',
 * password 'p') ends a batch: the client may be waiting for its answer.
 */
const HELD = new Set(['P', 'B', 'D', 'E', 'C'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);

const READY_FOR_QUERY = 'Z'.charCodeAt(0);
const COPY_IN_RESPONSE = 'G'.charCodeAt(0);
const COPY_BOTH_RESPONSE = 'W'.charCodeAt(0);
const IDLE = 'I'.charCodeAt(0);

interface Batch {
  conn: WireConnection;
  /** 'reset' puts the session back to idle for a connection that went away while holding it. */
  kind: 'messages' | 'reset';
  bytes: Uint8Array;
  /** Whether Parse/Bind/Execute… are left without their Sync once this batch has run. */
  openExtendedAfter: boolean;
}

class WireConnection {
  /** Bytes received and not yet cut into messages. */
  pending: Buffer = Buffer.alloc(0);
  /** Messages of the unit being received, held until one that ends it. */
  unit: Buffer[] = [];
  started = false;
  closed = false;
  /** As of the last batch run: ReadyForQuery's status (I, T, E), and whether COPY FROM STDIN is on. */
  status = IDLE;
  copyIn = false;
  openExtended = false;
  /** Received messages have Parse/Bind/Execute… not yet followed by a Sync. */
  receivingExtended = false;

  readonly gone: Promise<void>;
  markGone!: () => void;

  constructor(readonly socket: Socket) {
    this.gone = new Promise((resolve) => {
      this.markGone = resolve;
    });
  }

  /** The session holds state only this connection may see or change next. */
  holdsSession(): boolean {
    return this.status !== IDLE || this.copyIn || this.openExtended;
  }
}

export class PGliteWireServer {
  readonly #db: PGlite;
  readonly #path: string;
  readonly #maxConnections: number;
  #server: Server | undefined;
  readonly #connections = new Set<WireConnection>();
  readonly #queue: Batch[] = [];
  /** The connection that keeps the session between its batches (see holdsSession). */
  #owner: WireConnection | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: PGliteWireServerOptions) {
    this.#db = opts.db;
    this.#path = opts.path;
    this.#maxConnections = opts.maxConnections;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async start(): Promise<void> {
    if (this.#server) throw new Error('already started');
    await this.#db.waitReady;
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#path, () => {
        server.off('error', reject);
        // Once listening, an error (a failed accept, say) concerns one client, which is refused;
        // unheard, it would end the process.
        server.on('error', () => {});
        resolve();
      });
    });
  }

  /** Closes every connection, then waits for their sessions to be put back (rollbacks) before returning. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const connections = [...this.#connections];
    for (const conn of connections) conn.socket.destroy();
    await Promise.all([closed, ...connections.map((conn) => conn.gone)]);
    while (this.#running) await this.#running;
  }

  #accept(socket: Socket): void {
    if (this.#connections.size >= this.#maxConnections) {
      socket.on('error', () => {});
      socket.end(errorResponse('FATAL', '53300', 'sorry, too many clients already'));
      return;
    }
    const conn = new WireConnection(socket);
    this.#connections.add(conn);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.#receive(conn, data));
    // 'close' follows an error; the error itself only says the client is gone.
    socket.on('error', () => {});
    socket.on('close', () => this.#closed(conn));
  }

  #receive(conn: WireConnection, data: Buffer): void {
    if (conn.closed) return;
    conn.pending = conn.pending.length === 0 ? data : Buffer.concat([conn.pending, data]);
    try {
      while (!conn.closed && this.#takeMessage(conn)) {}
    } catch {
      // A malformed stream: nothing sensible can follow on this connection.
      conn.socket.destroy();
    }
  }

  /** Cuts one message off the connection's bytes and acts on it; false when it is not all here yet. */
  #takeMessage(conn: WireConnection): boolean {
    const buf = conn.pending;
    if (!conn.started) {
      // Before the startup packet, messages have no type byte: length, then a code.
      if (buf.length < 8) return false;
      const length = buf.readUInt32BE(0);
      const code = buf.readUInt32BE(4);
      if (length < 8 || length > MAX_STARTUP_LENGTH) throw new Error('bad startup packet');
      if (buf.length < length) return false;
      conn.pending = buf.subarray(length);
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        // No encryption on a local socket: 'N', and the client goes on in the clear.
        conn.socket.write('N');
      } else if (code === CANCEL_REQUEST_CODE) {
        // PGlite has no other backend to interrupt; Postgres closes a cancel connection.
        conn.socket.end();
        conn.closed = true;
      } else {
        conn.started = true;
        // On its own: PGlite recognises a startup packet only at the start of what it is given.
        this.#enqueue({ conn, kind: 'messages', bytes: buf.subarray(0, length), openExtendedAfter: false });
      }
      return true;
    }
    if (buf.length < 5) return false;
    const type = buf[0] as number;
    const length = 1 + buf.readUInt32BE(1);
    if (length < 5) throw new Error('bad message length');
    if (buf.length < length) return false;
    const message = buf.subarray(0, length);
    conn.pending = buf.subarray(length);
    if (type === TERMINATE) {
      // Not passed on: within a batch PGlite would end its one backend. Messages still held had
      // no Sync, so, as on Postgres, nothing they did is kept (a reset follows if they hold the session).
      conn.unit = [];
      conn.socket.end();
      conn.closed = true;
      return true;
    }
    conn.unit.push(message);
    if (HELD.has(type)) {
      conn.receivingExtended = true;
      return true;
    }
    if (type === SYNC) conn.receivingExtended = false;
    const bytes = conn.unit.length === 1 ? message : Buffer.concat(conn.unit);
    conn.unit = [];
    this.#enqueue({ conn, kind: 'messages', bytes, openExtendedAfter: conn.receivingExtended });
    return true;
  }

  #closed(conn: WireConnection): void {
    conn.closed = true;
    this.#connections.delete(conn);
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if (this.#queue[i]?.conn === conn) this.#queue.splice(i, 1);
    }
    // Queued last, so that it runs after a batch of this connection's that is running now, and
    // (the connection holding the session) before anyone else's.
    this.#enqueue({ conn, kind: 'reset', bytes: new Uint8Array(0), openExtendedAfter: false });
    conn.markGone();
  }

  #enqueue(batch: Batch): void {
    this.#queue.push(batch);
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const owner = this.#owner;
      const i = owner ? this.#queue.findIndex((b) => b.conn === owner) : this.#queue.length > 0 ? 0 : -1;
      // With an owner and nothing of its queued, the others wait for its next message.
      if (i < 0) return;
      const [batch] = this.#queue.splice(i, 1);
      if (!batch) return;
      if (batch.kind === 'reset') await this.#reset(batch.conn);
      else await this.#run(batch);
      // A connection that went away while holding the session keeps it until its reset (queued
      // when it closed) has run, which then comes next.
      this.#owner = batch.conn.holdsSession() ? batch.conn : undefined;
    }
  }

  /** Runs a batch as one exclusive call, streaming the answer to its client. */
  async #run(batch: Batch): Promise<void> {
    const { conn } = batch;
    const scanner = new BackendScanner(conn);
    try {
      await this.#db.runExclusive(() =>
        this.#db.execProtocolRawStream(batch.bytes, {
          onRawData: (data) => {
            scanner.feed(data);
            // A copy: PGlite may reuse the memory the data is in once this returns.
            if (!conn.closed && conn.socket.writable) conn.socket.write(Buffer.from(data));
          },
        }),
      );
      conn.openExtended = batch.openExtendedAfter;
    } catch {
      // PGlite failed (or was closed under us): the connection's state is unknown, so end it;
      // its reset then puts the session back as far as it can.
      conn.openExtended = true;
      conn.socket.destroy();
    }
  }

  /**
   * For a connection that went away holding the session, what Postgres does when a backend ends:
   * abandon its COPY and unfinished extended query, and roll its transaction back.
   */
  async #reset(conn: WireConnection): Promise<void> {
    if (!conn.holdsSession()) return;
    const steps: Buffer[] = [];
    if (conn.copyIn) steps.push(message('f', cString('client went away')));
    steps.push(message('S', Buffer.alloc(0)));
    const scanner = new BackendScanner(conn);
    const run = (bytes: Uint8Array) =>
      this.#db.runExclusive(() =>
        this.#db.execProtocolRawStream(bytes, { onRawData: (d) => scanner.feed(d) }),
      );
    try {
      await run(Buffer.concat(steps));
      if (conn.status !== IDLE) await run(message('Q', cString('ROLLBACK')));
    } catch {
      // PGlite is closing: there is no session left to put back.
    }
    conn.status = IDLE;
    conn.copyIn = false;
    conn.openExtended = false;
  }
}

/**
 * Follows the message boundaries of PGlite's answer (which may arrive in pieces) to learn the
 * connection's state from it: ReadyForQuery's status, and whether COPY FROM STDIN began.
 */
class BackendScanner {
  #header = Buffer.alloc(5);
  #headerLength = 0;
  #type = 0;
  #remaining = 0;
  #bodyRead = 0;

  constructor(private readonly conn: WireConnection) {}

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#remaining > 0) {
        if (this.#type === READY_FOR_QUERY && this.#bodyRead === 0) this.conn.status = chunk[i] as number;
        const take = Math.min(this.#remaining, chunk.length - i);
        i += take;
        this.#remaining -= take;
        this.#bodyRead += take;
        continue;
      }
      this.#header[this.#headerLength++] = chunk[i++] as number;
      if (this.#headerLength < 5) continue;
      this.#headerLength = 0;
      this.#type = this.#header[0] as number;
      this.#remaining = this.#header.readUInt32BE(1) - 4;
      this.#bodyRead = 0;
      if (this.#type === COPY_IN_RESPONSE || this.#type === COPY_BOTH_RESPONSE) this.conn.copyIn = true;
      if (this.#type === READY_FOR_QUERY) this.conn.copyIn = false;
    }
  }
}

function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

function errorResponse(severity: string, code: string, text: string): Buffer {
  return message(
    'E',
    Buffer.concat([
      Buffer.from('S'),
      cString(severity),
      Buffer.from('V'),
      cString(severity),
      Buffer.from('C'),
      cString(code),
      Buffer.from('M'),
      cString(text),
      Buffer.from([0]),
    ]),
  );
}
