/**
 * Connecting a browser's wallet to an account: the wallet's Ed25519 public key is registered to the user,
 * and from then on a request for a chain signed by it spends that user's balance. The key arrives in a
 * CSRF- and Origin-checked form of the account page (the extension fills it in, the user submits it), so
 * no other site can connect a key to someone's account.
 *
 * Why at most {@link MAX_WALLET_KEYS}: one per browser profile is the normal case, and what an account can
 * store must be bounded.
 * @module
 */
import { ED25519_KEY_BYTES, fromBase64, isSigningPublicKey, toBase64 } from '@micromint/shared';
import type { BrokerContext } from '../context.ts';
import { BrokerError } from '../errors.ts';

/** Most wallet keys one user may connect. */
export const MAX_WALLET_KEYS = 10;

/**
 * Reads a wallet key: base64 of a 32-byte Ed25519 public key. Throws a 422 {@link BrokerError}
 * `invalid_wallet_key` otherwise (an empty field means no wallet filled it in).
 */
export function readWalletKey(text: unknown): Uint8Array {
  if (typeof text !== 'string' || text.trim() === '')
    throw new BrokerError(422, 'invalid_wallet_key', 'no wallet key was sent: your MicroMint wallet extension fills it in on this page');
  let key: Uint8Array | undefined;
  try {
    key = text.length <= 64 ? fromBase64(text.trim()) : undefined;
  } catch {
    key = undefined;
  }
  if (!key || key.length !== ED25519_KEY_BYTES || !isSigningPublicKey(key))
    throw new BrokerError(422, 'invalid_wallet_key', 'the wallet key must be base64 of a 32-byte Ed25519 public key');
  return key;
}

/**
 * Connects a wallet key to `userId`. Connecting a key that is connected already changes nothing.
 * Throws 422 `invalid_wallet_key`, 409 `too_many_wallet_keys`.
 * @returns the key (base64) and whether it was new
 * @example
 * await connectWalletKey(ctx, user.id, toBase64(signingPublicKey(walletSecret)));
 */
export async function connectWalletKey(ctx: BrokerContext, userId: string, text: unknown): Promise<{ key: string; added: boolean }> {
  const key = readWalletKey(text);
  const keys = ctx.store.paywordKeys;
  return ctx.store.transaction(async () => {
    if (await keys.hasWalletKey(userId, key)) return { key: toBase64(key), added: false };
    if ((await keys.countWalletKeys(userId)) >= MAX_WALLET_KEYS)
      throw new BrokerError(409, 'too_many_wallet_keys', `an account connects at most ${MAX_WALLET_KEYS} wallets: disconnect one first`);
    await keys.insertWalletKey(userId, key, ctx.now().toISOString());
    return { key: toBase64(key), added: true };
  });
}

/**
 * Disconnects a wallet key: the broker authorizes no new chain it signs. Chains authorized before keep
 * their hold and are cleared and released as usual. Throws 422 `invalid_wallet_key`, 404 `unknown_wallet_key`.
 */
export async function disconnectWalletKey(ctx: BrokerContext, userId: string, text: unknown): Promise<void> {
  const key = readWalletKey(text);
  const removed = await ctx.store.transaction(() => ctx.store.paywordKeys.deleteWalletKey(userId, key));
  if (!removed) throw new BrokerError(404, 'unknown_wallet_key', 'that wallet is not connected to your account');
}

/** The wallet keys connected to `userId`, base64, oldest first. */
export const walletKeysOf = async (ctx: BrokerContext, userId: string): Promise<string[]> =>
  (await ctx.store.paywordKeys.walletKeys(userId)).map((k) => toBase64(k.key));
