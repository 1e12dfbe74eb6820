/**
 * `login`: binds a wallet to a reader's account at a broker with an API token (made on the
 * broker's account page). The token and broker go to the wallet's `config.json`; the wallet's
 * Ed25519 key is connected to the account (`POST /api/wallet-keys`), so that it can have PayWord
 * chains authorized.
 * @module
 */
import { brokerOrigin, toBase64 } from '@micromint/shared';
import { BrokerClient, type Me } from '../broker/api.ts';
import { WalletError } from '../errors.ts';
import { TOKEN_PATTERN } from '../wallet/config.ts';
import { immediate } from '../wallet/db.ts';
import { getMeta, setMeta } from '../wallet/meta.ts';
import { markConnected, walletKey } from '../wallet/wallet-key.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** What `login` did. */
export interface LoginResult {
  me: Me;
  /** The wallet key was connected by this login (false: it was connected already). */
  keyAdded: boolean;
}

/**
 * Checks the token with the broker, stores it and connects the wallet key.
 * @throws WalletError `bad-token` (not a token's form), `wrong-user` (the wallet holds another user's
 *   coins), `wrong-broker`; BrokerError `invalid_token` and the like. Nothing is stored then.
 * @example
 * const { me } = await login(wallet, 'http://127.0.0.1:4000', 'mmt_...');
 * console.log(`logged in as ${me.email}`);
 */
export async function login(wallet: Wallet, broker: string, token: string): Promise<LoginResult> {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token.trim()))
    throw new WalletError('bad-token', 'an API token is mmt_ followed by 43 characters: make one on the broker\u2019s account page');
  const client = new BrokerClient(broker, token.trim());
  const me = await client.me();
  const base = typeof me.broker === 'string' && me.broker ? me.broker : client.base;
  const owner = getMeta(wallet.db, 'userId');
  if (owner && owner !== me.userId)
    throw new WalletError('wrong-user', `this wallet belongs to ${owner}; the token is ${me.userId}'s: use another --wallet directory`);
  const known = getMeta(wallet.db, 'broker');
  if (known && brokerOrigin(known) !== brokerOrigin(base))
    throw new WalletError('wrong-broker', `this wallet holds coins of ${known}, not of ${base}`);
  const key = toBase64(walletKey(wallet.db).publicKey);
  const { added } = await client.connectWalletKey(key);
  immediate(wallet.db, () => {
    if (!owner) setMeta(wallet.db, 'userId', me.userId);
    if (!known) setMeta(wallet.db, 'broker', base);
  });
  markConnected(wallet.db, base);
  wallet.configure({ broker: base, token: token.trim() });
  return { me, keyAdded: added };
}
