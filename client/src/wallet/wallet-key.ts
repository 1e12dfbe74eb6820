/**
 * The wallet's Ed25519 key (docs/protocol.md 12.2): made once per wallet file and kept in it; it
 * signs requests for chain authorization, and the broker authorizes only chains signed by a key
 * connected to the reader's account.
 * @module
 */
import { fromHex, newSigningKey, signingPublicKey, toHex } from '@micromint/shared';
import { immediate, type WalletDb } from './db.ts';
import { getMeta, setMeta } from './meta.ts';

/** The wallet key pair, made on first use (two processes at once make one). */
export function walletKey(db: WalletDb): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const hex = immediate(db, () => {
    const known = getMeta(db, 'walletKey');
    if (known) return known;
    const made = toHex(newSigningKey().secretKey);
    setMeta(db, 'walletKey', made);
    return made;
  });
  const secretKey = fromHex(hex);
  return { secretKey, publicKey: signingPublicKey(secretKey) };
}

/** The broker this wallet's key is connected to (registered with its account), if any. */
export const connectedBroker = (db: WalletDb): string | undefined => getMeta(db, 'walletKeyConnected');

/** Notes that the wallet key is connected to the account at `broker`. */
export const markConnected = (db: WalletDb, broker: string): void => immediate(db, () => setMeta(db, 'walletKeyConnected', broker));
