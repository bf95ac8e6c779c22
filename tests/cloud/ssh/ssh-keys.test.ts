import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKeyPair } from '../../../src/cloud/ssh/ssh-keys.ts';

describe("gpuops's SSH key", () => {
  it('is always a key that parses, though the generator sometimes makes broken ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-keys-'));
    try {
      // ssh2 breaks about one ed25519 key in 200: 600 keys all but surely meet a broken one.
      for (let i = 0; i < 600; i++) {
        const pair = await loadOrCreateKeyPair(path.join(dir, `k${i}`, 'id_ed25519'));
        expect(ssh2.utils.parseKey(pair.publicKey)).not.toBeInstanceOf(Error);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
