import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { InstanceRegistrySnapshot } from './instance-registry.ts';
import type { MarketSnapshot } from './market.ts';
import type { StoredSshKey } from './ssh-keyring.ts';

export const STATE_FILE_VERSION = 1;

export interface PersistedSimState {
  version: typeof STATE_FILE_VERSION;
  /** The market these rentals belong to; a different seed or size makes them meaningless. */
  seed: number;
  offers: number;
  savedAt: string;
  market: MarketSnapshot;
  sshKeys: { nextId: number; keys: StoredSshKey[] };
  instances: InstanceRegistrySnapshot;
}

/** Coalesces bursts of changes into one write. */
const DEBOUNCE_MS = 20;

/**
 * dataDir/state.json: written shortly after each change, atomically (write a temporary file,
 * then rename over the old one) so a crash mid-write never leaves half a file.
 */
export class StateFile {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly collect: () => PersistedSimState,
    private readonly logger: Logger,
  ) {}

  static async load(path: string): Promise<PersistedSimState | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const state = JSON.parse(text) as PersistedSimState;
    if (state.version !== STATE_FILE_VERSION) {
      throw new Error(
        `${path} has state version ${String(state.version)}; this simulator reads ${STATE_FILE_VERSION}.`,
      );
    }
    return state;
  }

  scheduleSave(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, DEBOUNCE_MS);
  }

  /** Writes now if anything changed; resolves when what was asked before it is on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const tmp = `${this.path}.${process.pid}.tmp`;
      try {
        // Owner-only: it holds the instances' SSH host keys.
        await writeFile(tmp, `${JSON.stringify(this.collect(), null, 1)}\n`, { mode: 0o600 });
        await rename(tmp, this.path);
      } catch (err) {
        this.dirty = true;
        this.logger.error({ err, path: this.path }, 'could not save the simulator state');
      }
    });
    return this.writing;
  }
}
