import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shellQuote } from '../../util/shell-quote.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from './simulator.ts';

/** The file `gpuops sim` leaves the admin key in, readable by its user only. */
export function adminKeyFile(dataDir: string): string {
  return path.join(dataDir, 'admin-key');
}

/**
 * `gpuops sim`: starts the simulator, puts its admin key in a file only this user can read (not
 * on stdout, which often ends up in shared logs) and says where everything is. The caller owns
 * the process's lifetime (signals, close).
 */
export async function runSimulatorForeground(
  opts: SimulatorOptions = {},
  out: NodeJS.WritableStream = process.stdout,
): Promise<Simulator> {
  const sim = await startSimulator(opts);
  const keyFile = adminKeyFile(sim.dataDir);
  try {
    await rm(keyFile, { force: true });
    // Created 0600 from the start, so there is no moment when others could read it.
    await writeFile(keyFile, `${sim.adminKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    await sim.close();
    throw new Error(`Could not write the simulator's admin key to ${keyFile}: ${(err as Error).message}`);
  }
  const keyNote = opts.apiKey ? 'its API key required' : 'any API key works';
  out.write(
    [
      `simulated marketplace listening on ${sim.url}`,
      `  point gpuops at it with VAST_BASE_URL=${sim.url} (${keyNote})`,
      `  vast.ai's own CLI: VAST_URL=${sim.url} vastai --api-key <key> show instances`,
      `  admin API (failure injection, state) under ${sim.adminUrl}, with the key in ${keyFile}:`,
      `    curl -H "Authorization: Bearer $(cat ${shellQuote(keyFile)})" ${sim.adminUrl}/state`,
      `  market: ${sim.market.machines.length} offers, seed ${sim.market.seed}; data in ${sim.dataDir}`,
      '',
    ].join('\n'),
  );
  return sim;
}
