import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../errors.ts';
import type { Role } from '../runtime.ts';

/**
 * The command-line contract of DESIGN.md: chat, ask, plan, advise, sim, serve, worker (and eval,
 * doctor). Each command loads what it needs when it runs, so `gpuops plan` starts without the
 * queue, the database or LangChain.
 */

function requestContext(opts: { user?: string; channel?: string }): RequestContext {
  const user = opts.user ?? safeUserName();
  const channel = opts.channel ?? 'terminal';
  return { user, channel, replyTo: { surface: 'terminal', channel } };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'local';
  }
}

/** Loaded when a command runs: the config's schemas bring in zod, which `--help` never needs. */
async function config(): Promise<Config> {
  const { loadConfig } = await import('../config.ts');
  return loadConfig(process.env);
}

function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) process.exit(130);
    closing = true;
    process.stderr.write(`\n${signal}: shutting down (again to force)...\n`);
    void close().finally(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

const program = new Command();
program
  .name('gpuops')
  .description('Find, rent and run GPUs from chat: an AI GPU advisor and chat-ops bot.')
  .showHelpAfterError();

program
  .command('chat', { isDefault: true })
  .description('interactive terminal chat')
  .option('--user <name>', 'who you are in the audit log')
  .option('--channel <name>', 'the channel your instances belong to', 'terminal')
  .action(async (opts: { user?: string; channel?: string }) => {
    const { startRuntime } = await import('../runtime.ts');
    const { runTerminalChat } = await import('../bots/terminal/terminal-chat.ts');
    const runtime = await startRuntime(await config(), { role: 'all' });
    onShutdown(runtime.close);
    await runTerminalChat({
      chat: runtime.chat!,
      context: requestContext(opts),
      ...(runtime.notices && { notices: runtime.notices }),
      banner: `gpuops · ${runtime.describe()}\nType "help" for what I can do, "exit" to leave.`,
    });
    await runtime.close();
  });

program
  .command('ask')
  .description('one request, run to the end; prints the transcript')
  .argument('<text>', 'what to ask, in plain words')
  .option('--yes', 'confirm destructive actions without asking')
  .option('--json', 'one JSON object per line: replies, tool calls, progress, final result')
  .option('--no-wait', 'return once jobs are queued instead of following them to the end')
  .option('--user <name>', 'who you are in the audit log')
  .option('--channel <name>', 'the channel your instances belong to', 'terminal')
  .action(
    async (
      text: string,
      opts: { yes?: boolean; json?: boolean; wait: boolean; user?: string; channel?: string },
    ) => {
      const cfg = await config();
      const { startRuntime } = await import('../runtime.ts');
      const { JsonTranscriptSurface } = await import('../bots/terminal/json-transcript.ts');
      const { TerminalSurface } = await import('../bots/terminal/terminal-surface.ts');
      const { terminalSafe } = await import('../bots/terminal/terminal-text.ts');
      const runtime = await startRuntime(cfg, { role: cfg.role === 'bot' ? 'bot' : 'all' });
      onShutdown(runtime.close);
      const json = opts.json ? new JsonTranscriptSurface(process.stdout, Boolean(opts.yes)) : undefined;
      const surface =
        json ??
        new TerminalSurface({
          out: process.stdout,
          inPlace: false,
          confirm: async (question, options) => {
            process.stdout.write(`${terminalSafe(question)}\n`);
            if (opts.yes && options?.mustAsk) {
              process.stdout.write(
                'Not confirmed: your request did not name what this acts on, so --yes does not cover it. Name it in the request, or confirm in `gpuops chat`.\n',
              );
              return false;
            }
            if (!opts.yes) process.stdout.write('Not confirmed: run again with --yes to confirm.\n');
            return Boolean(opts.yes);
          },
        });
      const { redact, redactDeep } = await import('../redact.ts');
      let ok = true;
      let status = 1;
      try {
        // What is printed is often kept (CI logs, files): an outside error that slipped past its
        // own redaction is still cleaned here.
        const handled = await runtime.chat!.handle(text, requestContext(opts), {
          name: surface.name,
          post: async (message) => {
            if (message.kind === 'error') ok = false;
            return surface.post(redactDeep(message));
          },
          update: (ref, message) => surface.update(ref, redactDeep(message)),
          confirm: (q, options) => surface.confirm(q, options),
          ...(json && { toolCall: (call: { tool: string; args: unknown }) => json.toolCall(call) }),
        });
        const { askExitStatus, jobOfOperation, jobResultFields } = await import('./jobs-command.ts');
        const outcomes: Array<{ succeeded: boolean; job?: Awaited<ReturnType<typeof jobOfOperation>> }> = [];
        if (opts.wait) {
          const finals = await Promise.all(handled.jobs);
          for (const final of finals) {
            if (final.state !== 'succeeded') ok = false;
            // A job's end, not only its operation's, decides the exit status (a script tells a
            // time limit from a failed command by it).
            const job = await jobOfOperation(runtime.database.db, final).catch((err: unknown) => {
              runtime.log.warn({ err, op: final.operationId }, 'could not read the job of an operation');
              return undefined;
            });
            outcomes.push({ succeeded: final.state === 'succeeded', job });
            json?.emit(
              redactDeep({
                type: 'result',
                operation: final.operationId,
                kind: final.kind,
                state: final.state,
                ...(final.instance && { instance: final.instance }),
                ...(job && jobResultFields(job)),
                elapsed_ms: final.elapsedMs,
                ...(final.result && { result: final.result }),
                ...(final.error && { error: final.error }),
              }),
            );
          }
        }
        // Declined, held back or cut short: the request is not done, whatever else ran.
        if (handled.notDone.length > 0) ok = false;
        json?.emit({
          type: 'done',
          ok,
          ...(handled.notDone.length > 0 && { not_done: handled.notDone.map(redact) }),
          ...(handled.warnings.length > 0 && { warnings: handled.warnings.map(redact) }),
        });
        status = askExitStatus(outcomes, ok);
      } finally {
        await runtime.close();
      }
      process.exitCode = status;
    },
  );

const jobs = program
  .command('jobs')
  .description(
    "a channel's jobs: list them, see one, print its whole log, download its artifacts, cancel it",
  );
/** Runs a jobs command against the database and object store the configuration names. */
async function withJobs(
  json: boolean | undefined,
  command: (
    cli: typeof import('./jobs-command.ts'),
    services: import('./jobs-command.ts').JobsCommandServices,
  ) => Promise<number>,
): Promise<void> {
  const cli = await import('./jobs-command.ts');
  process.exitCode = await cli.withJobsServices(config, streams, json, (services) => command(cli, services));
}
const streams = { out: process.stdout, err: process.stderr };
const channelOption = ['--channel <name>', 'the channel the jobs belong to', 'terminal'] as const;
jobs
  .command('list')
  .description('your jobs in the channel, newest first (the 20 newest)')
  .option(...channelOption)
  .option('--user <name>', 'whose jobs: yours (your login name) unless given')
  .option('--all', "every job of the channel, everyone's")
  .option('--json', 'one JSON object per job, one per line')
  .action((opts: { channel: string; user?: string; all?: boolean; json?: boolean }) =>
    withJobs(opts.json, (cli, services) =>
      cli.jobsList(services, streams, { ...opts, user: requestContext(opts).user }),
    ),
  );
jobs
  .command('status')
  .description('one job: what it runs, where, how it stands or ended, its cost, log and artifacts')
  .argument('<job>', 'the job, e.g. j-4')
  .option(...channelOption)
  .option('--json', 'the job as one JSON object')
  .action((job: string, opts: { channel: string; json?: boolean }) =>
    withJobs(opts.json, (cli, services) => cli.jobsStatus(services, streams, job, opts)),
  );
jobs
  .command('logs')
  .description("the job's whole log, as its command wrote it, on stdout")
  .argument('<job>', 'the job, e.g. j-4')
  .option(...channelOption)
  .action((job: string, opts: { channel: string }) =>
    withJobs(false, (cli, services) => cli.jobsLogs(services, streams, job, opts)),
  );
jobs
  .command('artifacts')
  .description('downloads what the job kept, each file checked against its size and SHA-256')
  .argument('<job>', 'the job, e.g. j-4')
  .requiredOption('--out <dir>', 'the folder to put them in')
  .option('--only <path...>', 'only these files (paths as `gpuops jobs status` lists them)')
  .option(...channelOption)
  .action((job: string, opts: { channel: string; out: string; only?: string[] }) =>
    withJobs(false, (cli, services) => cli.jobsArtifacts(services, streams, job, opts)),
  );
jobs
  .command('cancel')
  .description('stops the job: its artifacts so far are kept and its machine released')
  .argument('<job>', 'the job, e.g. j-4')
  .option(...channelOption)
  .option('--user <name>', 'who you are in the audit log')
  .action((job: string, opts: { channel: string; user?: string }) =>
    withJobs(false, (cli, services) =>
      cli.jobsCancel(services, streams, job, { channel: opts.channel, user: requestContext(opts).user }),
    ),
  );

program
  .command('plan')
  .description('dry run: prints the tool calls the agent would make, and executes nothing')
  .argument('<text>', 'what to ask, in plain words')
  .option('--json', 'one JSON object per line: {"tool": ..., "args": {...}}')
  .action(async (text: string, opts: { json?: boolean }) => {
    const { planWith } = await import('../agent/plan.ts');
    const { createModel } = await import('../agent/create-model.ts');
    const { calls, reply } = await planWith(await createModel(await config()), text);
    for (const call of calls) {
      process.stdout.write(
        opts.json ? `${JSON.stringify(call)}\n` : `${call.tool} ${JSON.stringify(call.args)}\n`,
      );
    }
    // The reply is for people; stdout stays pure tool calls so scripts can read it.
    if (reply) process.stderr.write(`${reply}\n`);
    if (calls.length === 0) process.exitCode = 1;
  });

program
  .command('eval')
  .description(
    'scores the configured model on everyday phrasings: right tool, right arguments, round trips, tokens and latency per request; runs no tool',
  )
  .option(
    '--file <path>',
    'your own phrasings, one JSON object per line: {"text": "...", "calls": [{"tool": "...", "args": {...}}]}',
  )
  .option('--only-file', 'run only the phrasings of --file, not the default set')
  .option('--json', 'the report as one JSON object, every failure included')
  .option('--limit <n>', 'run only the first n phrasings')
  .option('--concurrency <n>', 'phrasings in flight at once (latency is measured under this load)', '4')
  .action(
    async (opts: {
      file?: string;
      onlyFile?: boolean;
      json?: boolean;
      limit?: string;
      concurrency: string;
    }) => {
      const [{ PHRASINGS }, { readPhrasingFile }, { runEval }, { renderEvalReport }] = await Promise.all([
        import('../agent/eval/phrasings.ts'),
        import('../agent/eval/phrasing-file.ts'),
        import('../agent/eval/run-eval.ts'),
        import('../agent/eval/render-eval.ts'),
      ]);
      // Bad input exits 2, before any model is asked; a low score is still a run (exit 0).
      const refuse = (message: string) => {
        process.stderr.write(`gpuops: ${message}\n`);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ error: { code: ErrorCode.BadInput, message } })}\n`);
        }
        process.exitCode = 2;
      };
      const limit = opts.limit === undefined ? undefined : positiveInteger(opts.limit);
      const concurrency = positiveInteger(opts.concurrency);
      if (limit === null) return refuse('--limit takes a whole number of phrasings, 1 or more.');
      if (concurrency === null) return refuse('--concurrency takes a whole number, 1 or more.');
      if (opts.onlyFile && !opts.file) return refuse('--only-file needs --file <path>.');
      let own: Awaited<ReturnType<typeof readPhrasingFile>> = [];
      if (opts.file) {
        try {
          own = await readPhrasingFile(opts.file);
        } catch (err) {
          return refuse(asGpuopsError(err).message);
        }
      }
      const phrasings = [...(opts.onlyFile ? [] : PHRASINGS), ...own].slice(0, limit);
      const sets = [...(opts.onlyFile ? [] : ['the default set']), ...(opts.file ? [opts.file] : [])].join(
        ' + ',
      );
      const { createModel } = await import('../agent/create-model.ts');
      const report = await runEval(await createModel(await config()), phrasings, { concurrency });
      process.stdout.write(
        opts.json ? `${JSON.stringify({ sets, ...report })}\n` : `${renderEvalReport(report, sets)}\n`,
      );
    },
  );

/** A whole number of 1 or more written in digits, else null. */
function positiveInteger(value: string): number | null {
  const n = Number(value);
  return /^\d+$/.test(value.trim()) && n >= 1 ? n : null;
}

program
  .command('advise')
  .description('the GPU advisor: memory arithmetic, setups that fit, and the best live offers')
  .argument(
    '<question>',
    'e.g. "what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?"',
  )
  .option('--json', 'the answer as one JSON object')
  .action(async (question: string, opts: { json?: boolean }) => {
    const cfg = await config();
    const { parseAdviceQuestion } = await import('../agent/planner/advice-question.ts');
    const parsed = parseAdviceQuestion(question);
    if (!parsed) {
      const { planRequest } = await import('../agent/planner/index.ts');
      const plan = planRequest(question);
      const message =
        plan.kind === 'clarify' || plan.kind === 'unknown'
          ? plan.message
          : 'That is not a question about which GPU to use. Try "what do I need to serve Llama 3.1 70B in 4-bit?"';
      throw new GpuopsError(ErrorCode.BadInput, message);
    }
    const [{ createLogger }, { startMarket }, { advise }, { renderAdvice }] = await Promise.all([
      import('../log.ts'),
      import('../runtime.ts'),
      import('../advisor/advise.ts'),
      import('../advisor/render-advice.ts'),
    ]);
    const log = createLogger({ logLevel: cfg.logLevel, logFile: cfg.logFile });
    const market = await startMarket(cfg, log, { persist: false });
    try {
      const advice = await advise(parsed.args, market.provider, cfg);
      process.stdout.write(opts.json ? `${JSON.stringify(advice)}\n` : `${renderAdvice(advice)}\n`);
    } finally {
      await market.close();
    }
  });

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
};

program
  .command('sim')
  .description('run the simulated GPU marketplace alone (the vast.ai API subset gpuops uses)')
  .option('--port <port>', 'port to listen on (0: any free port)', port, 8787)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--seed <n>', 'market seed', (v) => Number.parseInt(v, 10))
  .option('--offers <n>', 'number of offers', (v) => Number.parseInt(v, 10))
  .option(
    '--time-scale <x>',
    'multiplies every simulated delay (1: realistic, 0.01: fast)',
    Number.parseFloat,
  )
  .option('--data-dir <dir>', 'where instances, workspaces and state persist')
  .option('--link-speeds', "each instance's SSH runs at its offer's inet_up/inet_down (Mbps)")
  .action(
    async (opts: {
      port: number;
      host: string;
      seed?: number;
      offers?: number;
      timeScale?: number;
      dataDir?: string;
      linkSpeeds?: boolean;
    }) => {
      const cfg = await config();
      const { runSimulatorForeground } = await import('../cloud/sim/index.ts');
      const sim = await runSimulatorForeground({
        host: opts.host,
        port: opts.port,
        seed: opts.seed ?? cfg.sim.seed,
        offers: opts.offers ?? cfg.sim.offers,
        timeScale: opts.timeScale ?? cfg.sim.timeScale,
        dataDir: opts.dataDir ?? `${cfg.dataDir}/sim`,
        linkSpeeds: opts.linkSpeeds ?? false,
      });
      onShutdown(() => sim.close());
    },
  );

async function serve(role: Role): Promise<void> {
  const [{ startRuntime }, { prepareHttpServer }] = await Promise.all([
    import('../runtime.ts'),
    import('../http/server.ts'),
  ]);
  const runtime = await startRuntime(await config(), { role });
  let http: Awaited<ReturnType<Awaited<ReturnType<typeof prepareHttpServer>>['listen']>> | undefined;
  let prepared: Awaited<ReturnType<typeof prepareHttpServer>> | undefined;
  let platforms: Array<{ name: string; close(): Promise<void> }> = [];
  try {
    // Every path is mounted before the port opens: a request in the first moments of a start
    // finds /slack/events there, never a 404.
    const server = await prepareHttpServer(runtime);
    prepared = server;
    if (runtime.chat) {
      const { startChatPlatforms } = await import('../bots/chat-platforms.ts');
      const running = await startChatPlatforms({
        config: runtime.config,
        chat: runtime.chat,
        db: runtime.database.db,
        log: runtime.log,
        ...(runtime.notices && { notices: runtime.notices }),
        mountHttp: (path, listener) => server.mountRaw(path, listener),
      });
      platforms = running;
      for (const platform of running) {
        server.addReadinessCheck({ name: platform.name, check: () => platform.check() });
      }
    }
    http = await server.listen();
  } catch (err) {
    await Promise.allSettled(platforms.map((p) => p.close()));
    await prepared?.close();
    await runtime.close();
    throw err;
  }
  const server = http;
  // Stop taking requests first, then let workers hand back their jobs, then close the rest.
  onShutdown(async () => {
    await Promise.allSettled(platforms.map((p) => p.close()));
    await server.close();
    await runtime.close();
  });
  process.stdout.write(
    `gpuops ${role === 'worker' ? 'worker' : 'server'} running · ${runtime.describe()} · ${server.url} (/healthz, /readyz, /metrics${runtime.config.http.dashboard ? ', /admin/queues' : ''})\n`,
  );
  if (role !== 'worker') {
    process.stdout.write(
      platforms.length > 0
        ? `chat: ${platforms.map((p) => p.name).join(', ')}\n`
        : 'No chat platform is configured (set SLACK_BOT_TOKEN or DISCORD_TOKEN); use `gpuops chat` for the terminal.\n',
    );
  }
}

program
  .command('serve')
  .description('run the bot and/or the job workers until stopped')
  .addOption(
    new Option('--role <role>', 'which parts to run').choices(['bot', 'worker', 'all']).default('all'),
  )
  .action(async (opts: { role: Role }) => serve(opts.role));

program
  .command('doctor')
  .description(
    'check the configuration and every outside system it names; exit 0 only when all configured work',
  )
  .option('--json', 'the results as one JSON object')
  .action(async (opts: { json?: boolean }) => {
    const [{ runDoctor, renderDoctor, healthy }, { redact }] = await Promise.all([
      import('../doctor/doctor.ts'),
      import('../redact.ts'),
    ]);
    const results = await runDoctor(process.env);
    const ok = healthy(results);
    // runDoctor cleans each detail; this catches anything a new check forgets, in the whole report.
    process.stdout.write(
      redact(opts.json ? `${JSON.stringify({ ok, checks: results })}\n` : `${renderDoctor(results)}\n`),
    );
    process.exitCode = ok ? 0 : 1;
  });

const discord = program.command('discord').description('Discord set-up');
discord
  .command('register')
  .description('register the /gpu slash command (in one server with --guild, else globally)')
  .option('--guild <id>', 'the server (guild) id: its commands update at once')
  .action(async (opts: { guild?: string }) => {
    const cfg = await config();
    if (!cfg.discord) {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'Set DISCORD_TOKEN (Bot → Reset Token in the developer portal).',
      );
    }
    if (!cfg.discord.applicationId) {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'Set DISCORD_APPLICATION_ID (General Information → Application ID in the developer portal).',
      );
    }
    if (opts.guild !== undefined && !/^\d{15,25}$/.test(opts.guild)) {
      throw new InvalidArgumentError(`--guild takes a server id (digits), not "${opts.guild}".`);
    }
    const { registerDiscordCommands } = await import('../bots/discord/discord-commands.ts');
    const where = await registerDiscordCommands({
      token: cfg.discord.token,
      applicationId: cfg.discord.applicationId,
      apiUrl: cfg.discord.apiUrl,
      guild: opts.guild,
    });
    process.stdout.write(`Registered /gpu in ${where}.\n`);
  });

program
  .command('worker')
  .description('run job workers only (several can share one Redis/Postgres)')
  .action(async () => serve('worker'));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const error = asGpuopsError(err);
  process.stderr.write(`gpuops: ${error.message}\n`);
  // Scripts reading --json get the error in the same shape as everything else.
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
  }
  process.exitCode = error.code === ErrorCode.ConfigInvalid ? 2 : 1;
}
