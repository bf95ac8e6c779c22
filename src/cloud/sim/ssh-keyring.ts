import ssh2, { type ParsedKey } from 'ssh2';
import { invalidArgs } from './api-error.ts';
import type { VastSshKeyListWire, VastSshKeyWire } from './wire-types.ts';

/** The simulated account has one user; its id shows in key records as vast.ai's does. */
export const SIM_USER_ID = 1;

export interface StoredSshKey {
  id: number;
  publicKey: string;
  createdAt: string;
}

interface LoadedKey extends StoredSshKey {
  parsed: ParsedKey;
  blob: Buffer;
}

function parsePublicKey(text: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(text.trim());
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    throw invalidArgs(`Not an SSH public key: ${key instanceof Error ? key.message : 'nothing to parse'}.`);
  }
  if (key.isPrivateKey())
    throw invalidArgs('That is a private key; register the public key (the .pub file).');
  return key;
}

/**
 * The account's SSH public keys. Every instance accepts every key registered here, including keys
 * added after the instance was created, as vast.ai's ssh images authorize all account keys.
 */
export class SshKeyring {
  private readonly keys = new Map<number, LoadedKey>();
  private nextId = 1;

  /** Adds a key; registering the same key again returns the existing record. */
  add(publicKey: string, now = new Date()): StoredSshKey {
    const parsed = parsePublicKey(publicKey);
    const blob = parsed.getPublicSSH();
    for (const k of this.keys.values()) if (k.blob.equals(blob)) return this.stored(k);
    const record: LoadedKey = {
      id: this.nextId++,
      publicKey: publicKey.trim(),
      createdAt: now.toISOString(),
      parsed,
      blob,
    };
    this.keys.set(record.id, record);
    return this.stored(record);
  }

  remove(id: number): boolean {
    return this.keys.delete(id);
  }

  list(): StoredSshKey[] {
    return [...this.keys.values()].map((k) => this.stored(k));
  }

  get size(): number {
    return this.keys.size;
  }

  /**
   * Whether a client may log in with this key: it must be registered, and when the client sent a
   * signature (the second step of publickey auth) the signature must verify.
   */
  authorizes(key: { data: Buffer }, proof?: { blob: Buffer; signature: Buffer; hashAlgo?: string }): boolean {
    for (const k of this.keys.values()) {
      if (!k.blob.equals(key.data)) continue;
      if (!proof) return true;
      return k.parsed.verify(proof.blob, proof.signature, proof.hashAlgo) === true;
    }
    return false;
  }

  /** The key as the answer to adding it shows it. */
  toWire(key: StoredSshKey): VastSshKeyWire {
    return {
      id: key.id,
      user_id: SIM_USER_ID,
      public_key: key.publicKey,
      created_at: key.createdAt,
      deleted_at: null,
    };
  }

  /** The key as the account's list shows it: the same record, the text under `key`. */
  toListWire(key: StoredSshKey): VastSshKeyListWire {
    const { id, user_id, public_key, created_at, deleted_at } = this.toWire(key);
    return { id, user_id, key: public_key, created_at, deleted_at };
  }

  snapshot(): { nextId: number; keys: StoredSshKey[] } {
    return { nextId: this.nextId, keys: this.list() };
  }

  restore(snapshot: { nextId: number; keys: StoredSshKey[] }): void {
    this.keys.clear();
    for (const k of snapshot.keys) {
      const parsed = parsePublicKey(k.publicKey);
      this.keys.set(k.id, { ...k, parsed, blob: parsed.getPublicSSH() });
    }
    this.nextId = Math.max(snapshot.nextId, ...snapshot.keys.map((k) => k.id + 1), 1);
  }

  private stored(k: LoadedKey): StoredSshKey {
    return { id: k.id, publicKey: k.publicKey, createdAt: k.createdAt };
  }
}
