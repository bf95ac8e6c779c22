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
  const pair = generateValidPair();
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

/**
 * ssh2's ed25519 generator drops a leading zero byte of the public key about once in 200 keys
 * (a 31-byte key that nothing, ssh2 included, will parse); such a pair is thrown away.
 */
export function generateValidPair(): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'gpuops' });
    const parsed = ssh2.utils.parseKey(pair.public.trim());
    if (!(parsed instanceof Error) && !(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('Could not generate a valid ed25519 key pair.');
}
