/**
 * The wallet key: one Ed25519 key per browser profile, made on first use and kept in IndexedDB.
 * The broker's account page connects its public half to the reader's account; from then on the
 * broker authorizes a chain (and holds its value from that account) only when this key signed the
 * request. It is never replaced on its own: a new key would silently disconnect the wallet.
 * @module
 */
import { newSigningKey, signingPublicKey, equalBytes, toBase64 } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import type { KeyRecord } from './schema.ts';
import { abortQuietly } from './tx.ts';

/**
 * The wallet key, made and stored now if there is none. Reading and creating happen in one
 * readwrite transaction, so two callers at once (two tabs, the broker page and a payment) get the
 * same key: the second transaction runs after the first committed and finds its key.
 * @throws Error when the stored key is damaged (its public half does not match its secret).
 * @example
 * const { publicKey } = await walletKey(db);
 */
export async function walletKey(db: WalletDb, now = Date.now()): Promise<KeyRecord> {
  const fresh = newSigningKey();
  const tx = db.transaction('keys', 'readwrite');
  try {
    const stored = await tx.store.get('wallet');
    if (stored) {
      await tx.done;
      if (!equalBytes(signingPublicKey(stored.secretKey), stored.publicKey)) throw new Error('the wallet key kept in IndexedDB is damaged');
      return stored;
    }
    const record: KeyRecord = { id: 'wallet', secretKey: fresh.secretKey, publicKey: fresh.publicKey, createdAt: now };
    await tx.store.add(record);
    await tx.done;
    return record;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** The wallet key's public half as the broker's form takes it: standard padded base64 of 32 bytes. */
export const walletPublicKey = async (db: WalletDb): Promise<string> => toBase64((await walletKey(db)).publicKey);
