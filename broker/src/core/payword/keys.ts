/**
 * The broker's Ed25519 key pair for PayWord authorizations. It is made once, on first need, and kept in the
 * broker's database: vendors fetch its public half once (`GET /api/payword`) and verify every authorization
 * offline with it, so it must survive restarts and be the same for every process on the database.
 * Whoever holds a copy of the database can sign authorizations: protect the file like the money it holds.
 * @module
 */
import { newSigningKey } from '@micromint/shared';
import type { Store } from '../../db/store.ts';

/** An Ed25519 key pair (32-byte secret and public keys). */
export interface BrokerKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * The broker's authorization key pair, made and stored the first time it is asked for. Two processes
 * that start at once both insert-or-ignore and then read the one row that won.
 * @example
 * const { publicKey } = await brokerKeyPair(ctx.store, ctx.now());
 */
export async function brokerKeyPair(store: Store, now: Date): Promise<BrokerKeyPair> {
  const stored = await store.paywordKeys.brokerKey();
  if (stored) return stored;
  return store.transaction(async () => {
    const fresh = newSigningKey();
    await store.paywordKeys.insertBrokerKey(fresh.secretKey, fresh.publicKey, now.toISOString());
    return (await store.paywordKeys.brokerKey())!;
  });
}
