import type { ChildProcess } from 'node:child_process';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Readable, Transform, Writable } from 'node:stream';
import { finished as streamFinished } from 'node:stream/promises';
import type { Logger } from 'pino';
import ssh2, { type Connection, type ServerChannel } from 'ssh2';
import { mapContainerPaths, type PathMounts } from './container-paths.ts';
import { PacedLink } from './paced-link.ts';
import { killProcessGroup, processGroupAlive, spawnShell } from './shell-process.ts';
import type { SshKeyring } from './ssh-keyring.ts';

export interface SshHostOptions {
  instanceId: number;
  /** OpenSSH private host key; one per instance, kept across restarts of the simulator. */
  hostKey: string;
  /** Where commands run: the instance's workspace. */
  cwd: string;
  /** Folders of a vast.ai image that this instance has elsewhere (see container-paths.ts). */
  mounts?: PathMounts;
  /** The whole environment of commands (nothing is inherited from the simulator). */
  env: Record<string, string>;
  keyring: SshKeyring;
  logger: Logger;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on. Default 0: a free one (a taken port fails the start with EADDRINUSE). */
  port?: number;
  /**
   * The host's network, bytes per second each way, shared by every command it runs: `up` is what
   * commands send to clients, `down` what clients send them. Default: as fast as this machine.
   */
  link?: { upBytesPerSecond: number; downBytesPerSecond: number } | undefined;
}

/**
 * The SSH endpoint of one running instance: publickey logins with the account's keys, `exec`
 * through `/bin/sh -c` in the workspace with stdio streamed both ways (so `tar | ssh` and
 * `ssh tar` work for snapshots), and a `shell` that reads commands from stdin.
 *
 * ssh2 owns the protocol; the TCP listener is ours (sockets handed over with `injectSocket`) so
 * that stopping the instance can cut every connection at once, as a machine going away would.
 */
export class SshHost {
  readonly port: number;
  private readonly tcp: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly processes = new Set<ChildProcess>();
  /** Commands that exited leaving work in the background (`gpu-burn &`): their groups live on. */
  private readonly lingering = new Set<ChildProcess>();
  private stopped = false;
  private readonly uplink: PacedLink | undefined;
  private readonly downlink: PacedLink | undefined;

  private constructor(
    private readonly options: SshHostOptions,
    tcp: NetServer,
    port: number,
  ) {
    this.tcp = tcp;
    this.port = port;
    if (options.link) {
      this.uplink = new PacedLink(options.link.upBytesPerSecond);
      this.downlink = new PacedLink(options.link.downBytesPerSecond);
    }
  }

  static async start(options: SshHostOptions): Promise<SshHost> {
    const ssh = new ssh2.Server({ hostKeys: [options.hostKey] });
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const address = tcp.address();
    if (address === null || typeof address === 'string') throw new Error('SSH listener has no TCP port');
    const host = new SshHost(options, tcp, address.port);
    ssh.on('connection', (client) => host.onClient(client));
    ssh.on('error', (err: Error) =>
      options.logger.debug({ err, instanceId: options.instanceId }, 'ssh server error'),
    );
    tcp.on('connection', (socket) => {
      if (host.stopped) {
        socket.destroy();
        return;
      }
      host.sockets.add(socket);
      socket.once('close', () => host.sockets.delete(socket));
      // A peer that vanishes mid-handshake must not crash the simulator.
      socket.on('error', () => socket.destroy());
      ssh.injectSocket(socket);
    });
    return host;
  }

  /** Cuts every connection, kills every command it started and stops listening. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A machine going away takes everything it ran, what was left in the background too.
    for (const child of [...this.processes, ...this.lingering]) killProcessGroup(child);
    this.processes.clear();
    this.lingering.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  private onClient(client: Connection): void {
    const log = this.options.logger;
    client.on('error', (err) => log.debug({ err, instanceId: this.options.instanceId }, 'ssh client error'));
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') {
        ctx.reject(['publickey']);
        return;
      }
      const proof =
        ctx.signature && ctx.blob
          ? { blob: ctx.blob, signature: ctx.signature, hashAlgo: ctx.hashAlgo }
          : undefined;
      if (this.options.keyring.authorizes(ctx.key, proof)) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        const extraEnv: Record<string, string> = {};
        session.on('env', (accept, _reject, info) => {
          extraEnv[info.key] = info.val;
          accept?.();
        });
        // No real terminal: accepting lets clients that always ask for one carry on.
        session.on('pty', (accept) => accept?.());
        session.on('window-change', (accept) => accept?.());
        session.on('exec', (accept, _reject, info) => {
          this.run(accept(), info.command, extraEnv);
        });
        session.on('shell', (accept) => {
          this.run(accept(), null, extraEnv);
        });
        session.on('sftp', (_accept, reject) => reject());
        session.on('subsystem', (_accept, reject) => reject());
      });
      // Port forwarding and the like are not part of the simulated instance.
      client.on('request', (_accept, reject) => reject?.());
      client.on('tcpip', (_accept, reject) => reject());
    });
  }

  private run(channel: ServerChannel, command: string | null, extraEnv: Record<string, string>): void {
    if (this.stopped) {
      channel.exit(255);
      channel.end();
      return;
    }
    const line = command === null ? null : mapContainerPaths(command, this.options.mounts ?? []);
    const child = spawnShell(line, { cwd: this.options.cwd, env: { ...this.options.env, ...extraEnv } });
    this.processes.add(child);
    let finished = false;
    const finish = async (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      this.processes.delete(child);
      if (processGroupAlive(child)) this.lingering.add(child);
      // A stream that failed has finished too; the exit status below is what the client hears.
      await Promise.all(paced.map((pace) => streamFinished(pace).catch(() => undefined)));
      try {
        if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
        else channel.exit(code ?? 0);
        channel.end();
      } catch {
        // The client went away first; nothing left to tell it.
      }
    };
    // Paced output is still on its way when the command exits: the exit status goes after it.
    const paced: Transform[] = [];
    const send = (from: Readable | null, to: Writable) => {
      if (!from) return;
      if (!this.uplink) {
        from.pipe(to, { end: false });
        return;
      }
      const pace = this.uplink.pace();
      paced.push(pace);
      from.pipe(pace).pipe(to, { end: false });
    };
    send(child.stdout, channel);
    send(child.stderr, channel.stderr);
    if (child.stdin) {
      if (this.downlink) channel.pipe(this.downlink.pace()).pipe(child.stdin);
      else channel.pipe(child.stdin);
      // The command may exit before reading all input; that is not an error of the simulator.
      child.stdin.on('error', () => undefined);
    }
    child.on('error', (err) => {
      this.options.logger.warn({ err, instanceId: this.options.instanceId }, 'could not start a command');
      channel.stderr.write(`sh: ${err.message}\n`);
      void finish(127, null);
    });
    child.on('close', (code, signal) => void finish(code, signal));
    // The client closed the channel (Ctrl-C, timeout): the command goes with it.
    channel.on('close', () => {
      if (!finished) killProcessGroup(child);
      for (const pace of paced) pace.destroy();
    });
  }
}
