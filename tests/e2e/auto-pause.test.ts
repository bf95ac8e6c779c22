import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { listNotices } from '../../db/repositories/notices.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import { sshExec } from '../../src/cloud/ssh/ssh-client.ts';
import { formatUsd } from '../../src/format/text.ts';
import { type IdleCheckServices, runIdleCheck } from '../../src/jobs/upkeep/idle-check.ts';
import { autoPauseOperationId } from '../../src/jobs/upkeep/idle-episode.ts';
import { silentLogger } from '../../src/log.ts';
import { periodStart } from '../../src/tools/idle-savings.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';
import { RecordingSurface } from '../support/recording-surface.ts';

const MIN = 60_000;

describe('auto-pause of idle instances, in the simulator', () => {
  let g: TestGpuops;
  let services: IdleCheckServices;
  /**
   * The idle check runs on a clock the test moves a minute at a time, from when the test's
   * instances are running; everything else (SSH, nvidia-smi, the queue, the pause) is real.
   */
  let t0 = 0;
  const pass = (minute: number) => runIdleCheck(services, { now: () => new Date(t0 + minute * MIN) });
  const passes = async (from: number, to: number) => {
    const reports = [];
    for (let minute = from; minute <= to; minute++) reports.push(await pass(minute));
    return reports;
  };

  beforeAll(async () => {
    // No scheduled passes here: the test drives them (the last suite below runs the schedule).
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      env: { GPUOPS_IDLE_CHECK_INTERVAL_MS: '0' },
    });
    const { runtime } = g;
    services = {
      config: runtime.config,
      db: runtime.database.db,
      provider: runtime.provider,
      sshKey: runtime.sshKey,
      log: silentLogger,
      deploymentId: runtime.deploymentId,
      operations: runtime.operations,
    };
  });
  afterAll(async () => {
    await g?.close();
  });

  async function reply(text: string): Promise<string> {
    g.surface.clear();
    await g.say(text);
    return [...g.surface.posts('reply'), ...g.surface.errors().map((e) => e.text)].join('\n');
  }

  const pausesOf = (instance: number) =>
    g.runtime.database.db
      .selectFrom('operations')
      .selectAll()
      .where('kind', '=', 'pause')
      .where('instance_id', '=', instance)
      .execute();

  let idle: number;
  let pausedBy: string;

  it('warns, then pauses an instance with no GPU work after its window, and leaves one with work running alone', async () => {
    idle = await g.deploy('deploy a 4090');
    const busy = await g.deploy('deploy a 3090');
    await g.ssh(busy, 'gpu-burn 900 > /dev/null 2>&1 &');
    t0 = Date.now();

    expect(await reply(`pause i-${idle} when idle for 15 minutes`)).toContain(
      `i-${idle} will be paused when its GPUs have been under 5% for 15 min`,
    );
    expect(await reply(`auto-pause i-${busy} after 15 minutes idle`)).toContain(`i-${busy} will be paused`);

    const quiet = await passes(0, 14);
    expect(quiet.flatMap((r) => [...r.warned, ...r.paused])).toEqual([]);
    expect(quiet.every((r) => r.sampled.length === 2)).toBe(true);

    const warning = await pass(15);
    expect(warning.warned).toEqual([`i-${idle}`]);
    const [notice] = await listNotices(g.runtime.database.db, g.context.channel, 1);
    expect(notice!.instance_id).toBe(idle);
    expect(notice!.text).toContain(`It will be paused in 5 min unless someone says "keep i-${idle} running"`);
    // Chats show a button for it too.
    expect(notice!.actions).toEqual([
      { label: `Keep i-${idle} running`, tool: 'keep_running', args: { instance: `i-${idle}` } },
    ]);
    // The notice goes to the thread the instance was deployed from.
    expect(notice!.reply_to).toMatchObject({ surface: 'test', channel: g.context.channel });

    expect((await passes(16, 19)).flatMap((r) => r.paused)).toEqual([]);
    const [paused, again] = await Promise.all([pass(20), pass(20)]);
    expect([...paused!.paused, ...again!.paused]).toEqual([`i-${idle}`]);
    pausedBy = autoPauseOperationId(idle, new Date(t0));
    const operation = await waitFor(
      async () => {
        const op = await getOperation(g.runtime.database.db, pausedBy);
        return op?.state === 'succeeded' && op;
      },
      { timeoutMs: 60_000, what: 'the automatic pause to finish' },
    );
    expect(operation.requester).toBe('gpuops auto-pause');
    expect((await getInstance(g.runtime.database.db, idle))!.state).toBe('stopped');
    expect((await getInstance(g.runtime.database.db, busy))!.state).toBe('running');

    // Later passes record the pause once and never ask for a second one.
    const after = await passes(21, 40);
    expect(after.flatMap((r) => r.settled)).toEqual([`i-${idle}`]);
    expect(after.flatMap((r) => [...r.paused, ...r.warned])).toEqual([]);
    expect(await pausesOf(idle)).toHaveLength(1);
    expect(await pausesOf(busy)).toHaveLength(0);
    const audit = await g.runtime.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auto-pause')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target: `i-${idle}`, actor: 'gpuops auto-pause', outcome: 'ok' });
    expect(audit[0]!.price_per_hour).toBe((await getInstance(g.runtime.database.db, idle))!.price_per_hour);
    await g.say(`destroy i-${busy}`, { confirm: true });
  }, 180_000);

  it('answers how much auto-pause saved from the audit log, and stops counting once the instance is resumed', async () => {
    const db = g.runtime.database.db;
    const row = (await getInstance(db, idle))!;
    const [pauseEntry] = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auto-pause')
      .execute();
    // The disk bills while paused: what a pause saves is the machine's price less its disk.
    const diskPerHour = (pauseEntry!.details as { disk_per_hour: number }).disk_per_hour;
    const live = await g.runtime.provider.getInstance(row.provider_instance_id!);
    expect(diskPerHour).toBeCloseTo((row.disk_gb * live!.storageCostPerGbMonth!) / 730, 9);
    expect(diskPerHour).toBeGreaterThan(0);
    const price = row.price_per_hour - diskPerHour;
    // As if the pause had stopped the machine two hours ago.
    const pausedAt = new Date(Date.now() - 2 * 3_600_000);
    await sql`update audit_log set details = jsonb_set(details, '{paused_at}', to_jsonb(${pausedAt.toISOString()}::text))
               where action = 'auto-pause' and details->>'operation' = ${pausedBy}`.execute(db);
    const expected = (until: number) =>
      (price * (until - Math.max(pausedAt.getTime(), periodStart('week', new Date(until)).getTime()))) /
      3_600_000;

    const before = Date.now();
    const answer = await reply('how much did auto-pause save this week?');
    const shown = [formatUsd(expected(before)), formatUsd(expected(Date.now()))];
    expect(answer).toMatch(
      /^Auto-pause saved \$\d+\.\d+ this week \(since \d{4}-\d\d-\d\d 00:00 UTC\): 1 pause,/,
    );
    expect(shown).toContain(/saved (\$\d+\.\d+)/.exec(answer)![1]);
    expect(answer).toContain(`i-${idle}`);
    expect(answer).toContain('still paused');

    const resumed = await g.say(`resume i-${idle}`);
    const [final] = await Promise.all(resumed.jobs);
    expect(final!.state).toBe('succeeded');
    await pass(41);
    const [ended] = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auto-pause-ended')
      .execute();
    const details = ended!.details as { saved_usd: number; ended_by: string; ended_at: string };
    expect(details.ended_by).toBe('resume');
    expect(details.saved_usd).toBeCloseTo(
      (price * (Date.parse(details.ended_at) - pausedAt.getTime())) / 3_600_000,
      3,
    );

    const total = await reply('how much did auto-pause save in total?');
    const later = await reply('how much did auto-pause save in total?');
    expect(total).toBe(later);
    expect(total).toContain(
      formatUsd((price * (Date.parse(details.ended_at) - pausedAt.getTime())) / 3_600_000),
    );
    expect(total).toContain('(resume)');
    await g.say(`destroy i-${idle}`, { confirm: true });
  }, 120_000);

  it('does not pause an idle instance after someone says "keep i-N running"', async () => {
    const kept = await g.deploy('deploy a 4090');
    await g.say(`auto-pause i-${kept} after 15 minutes idle`);
    t0 = Date.now();
    const base = 0;
    await passes(base, base + 14);
    expect((await pass(base + 15)).warned).toEqual([`i-${kept}`]);

    expect(await reply(`keep i-${kept} running`)).toMatch(
      new RegExp(`^OK, i-${kept} keeps running: no auto-pause for 2 h`),
    );
    const held = await passes(base + 16, base + 60);
    expect(held.flatMap((r) => [...r.warned, ...r.paused])).toEqual([]);
    expect(await pausesOf(kept)).toHaveLength(0);

    // Turned back on, it needs a whole idle window again before the next warning.
    expect(await reply(`auto-pause i-${kept} again`)).toContain(`i-${kept} is auto-paused again`);
    const watched = await passes(base + 61, base + 76);
    expect(watched.map((r) => r.warned.length)).toEqual([...Array(15).fill(0), 1]);

    // GPU work that starts calls the pause off.
    await g.ssh(kept, 'gpu-burn 900 > /dev/null 2>&1 &');
    expect((await pass(base + 77)).calledOff).toEqual([`i-${kept}`]);
    expect((await passes(base + 78, base + 100)).flatMap((r) => r.paused)).toEqual([]);
    expect(await pausesOf(kept)).toHaveLength(0);
    await g.say(`destroy i-${kept}`, { confirm: true });
  }, 180_000);

  it('refuses bad input clearly and changes nothing', async () => {
    const db = g.runtime.database.db;
    const policies = async () => (await db.selectFrom('idle_policies').selectAll().execute()).length;
    const count = await policies();
    expect(await reply('auto-pause i-999 after 10 minutes idle')).toContain('There is no instance i-999');
    expect(await reply(`auto-pause i-${idle} after 0 minutes`)).toContain('at least 1 minute');
    expect(await reply(`auto-pause i-${idle} after -5 minutes`)).toContain('negative');
    expect(await reply('keep i-999 running')).toContain('There is no instance i-999');

    // Another channel's instance is not theirs to change.
    const other = new RecordingSurface();
    await g.runtime.chat!.handle(
      `stop auto-pausing i-${idle}`,
      { user: 'bob', channel: 'team-other', replyTo: { surface: 'test', channel: 'team-other' } },
      other,
    );
    expect(other.errors()[0]!.text).toContain('belongs to another channel');
    expect(await policies()).toBe(count);
    expect(
      (
        await db
          .selectFrom('idle_policies')
          .select('enabled')
          .where('instance_id', '=', idle)
          .executeTakeFirst()
      )?.enabled,
    ).toBe(true);
  });
});

describe('the scheduled idle check', () => {
  let g: TestGpuops;

  beforeAll(async () => {
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      env: { GPUOPS_IDLE_CHECK_INTERVAL_MS: '250' },
    });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('samples the GPUs of instances with a policy over SSH on its own, seeing work start', async () => {
    const handled = await g.say('deploy a 4090');
    const [final] = await Promise.all(handled.jobs);
    const id = Number(final!.result!.instance.slice(2));
    await g.say(`auto-pause i-${id} after 30 minutes idle`);
    const db = g.runtime.database.db;
    const watch = () =>
      db.selectFrom('idle_watch').selectAll().where('instance_id', '=', id).executeTakeFirst();
    const first = await waitFor(async () => (await watch())?.last_sample_at && watch(), {
      timeoutMs: 30_000,
      what: 'a scheduled sample',
    });
    expect(first).toMatchObject({ last_utilization: 0, idle_since: expect.any(Date) });

    const row = await getInstance(db, id);
    await sshExec(
      { host: row!.ssh_host!, port: row!.ssh_port!, privateKey: g.runtime.sshKey.privateKey },
      'gpu-burn -u 70 600 > /dev/null 2>&1 &',
    );
    const busy = await waitFor(async () => (await watch())?.last_utilization === 70 && watch(), {
      timeoutMs: 30_000,
      what: 'the scheduled check to see the GPU work',
    });
    expect(busy!.idle_since).toBeNull();
    await g.say(`destroy i-${id}`, { confirm: true });
  }, 120_000);
});
