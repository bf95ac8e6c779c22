import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key. Never logged, never shown in chat. */
  privateKey: string;
  /** "ssh-ed25519 AAAA... gpuops" */
  publicKey: string;
}

/** Loads gpuops's key pair from disk, creating it (mode 600) on first use. */
export async function loadOrCreateKeyPair(privateKeyPath: string): Promise<SshKeyPair> {
  try {
    const [privateKey, publicKey] = await Promise.all([
      readFile(privateKeyPath, 'utf8'),
      readFile(`${privateKeyPath}.pub`, 'utf8'),
    ]);
    return { privateKey, publicKey: publicKey.trim() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'gpuops' });
  await mkdir(path.dirname(privateKeyPath), { recursive: true, mode: 0o700 });
  // `wx` so two processes starting together never overwrite each other's fresh key.
  try {
    await writeFile(privateKeyPath, pair.private, { mode: 0o600, flag: 'wx' });
    await writeFile(`${privateKeyPath}.pub`, `${pair.public.trim()}\n`, { mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeyPair(privateKeyPath);
    throw err;
  }
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}
