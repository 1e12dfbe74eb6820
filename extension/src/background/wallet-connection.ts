/**
 * Connecting this wallet to the reader's account at the broker, on the broker's own pages only:
 * the content script asks for the wallet key to fill into the account page's
 * `form.micromint-connect-wallet`, and hands over the page's `micromint-wallet` block, from which
 * the wallet records whose account chains are opened on and whether the broker lists its key.
 * No other site may ask: the key would identify the reader across sites, and a forged block
 * could point the wallet at another account.
 * @module
 */
import type { WalletBlock, WalletConnected } from '../messages.ts';
import { brokerKey, recordConnection, walletPublicKey, WalletError, type WalletDb } from '../wallet/index.ts';
import { ForbiddenSenderError } from './funds.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

const USER_ID = /^[\x21-\x7e]{1,128}$/;
/** Most keys a block may list (the broker connects at most 10 per user). */
const MAX_BLOCK_KEYS = 100;

const originOf = (url: string): string | undefined => {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Checks a `micromint-wallet` block's shape (it comes from a page).
 * @throws WalletError `invalid-message` naming the first bad field.
 */
export function readWalletBlock(body: unknown): WalletBlock {
  const b = body as Record<string, unknown> | null;
  const bad = (what: string) => new WalletError('invalid-message', `the page's micromint-wallet block ${what}`);
  if (typeof b !== 'object' || b === null) throw bad('is not an object');
  if (typeof b.broker !== 'string' || b.broker.length > 2048 || !originOf(b.broker)) throw bad('names no broker URL');
  if (typeof b.userId !== 'string' || !USER_ID.test(b.userId)) throw bad('names no user');
  if (
    !Array.isArray(b.walletKeys) ||
    b.walletKeys.length > MAX_BLOCK_KEYS ||
    b.walletKeys.some((k) => typeof k !== 'string' || k.length > 128)
  )
    throw bad('lists no wallet keys');
  return { broker: b.broker, userId: b.userId, walletKeys: b.walletKeys as string[] };
}

/** The broker-page side of chains: the wallet key and the connection. */
export class WalletConnection {
  constructor(
    private readonly db: WalletDb,
    private readonly settings: SettingsStore,
  ) {}

  private async brokerFor(senderOrigin: string | undefined): Promise<string> {
    const origin = brokerOrigin(await this.settings.get());
    if (senderOrigin !== origin) throw new ForbiddenSenderError(`only pages of the broker ${origin} may connect the MicroMint wallet`);
    return origin;
  }

  /**
   * The wallet key (base64 Ed25519 public key) for the broker's connect form; made on first use.
   * @example
   * const { walletKey } = await connection.key(sender.origin);
   */
  async key(senderOrigin: string | undefined): Promise<{ walletKey: string }> {
    await this.brokerFor(senderOrigin);
    return { walletKey: await walletPublicKey(this.db) };
  }

  /**
   * Records what the broker's account page says: its user, and whether this wallet's key is among
   * the keys connected to that user. The block must name the page's own broker. A wallet whose
   * coins belong to one user (the user id setting) refuses a page of another user (`wrong-user`);
   * an empty setting is filled in.
   */
  async connected(body: unknown, senderOrigin: string | undefined): Promise<WalletConnected> {
    const origin = await this.brokerFor(senderOrigin);
    const block = readWalletBlock(body);
    if (originOf(block.broker) !== origin)
      throw new WalletError('wrong-broker', `the page of ${origin} speaks for the broker ${block.broker}`);
    const settings = await this.settings.get();
    if (settings.userId && settings.userId !== block.userId)
      throw new WalletError('wrong-user', `this wallet belongs to ${settings.userId}; the broker's page is signed in as ${block.userId}`);
    if (!settings.userId) await this.settings.update({ userId: block.userId, userIdFrom: origin });
    const walletKey = await walletPublicKey(this.db);
    const connected = block.walletKeys.includes(walletKey);
    await recordConnection(this.db, { broker: block.broker, userId: block.userId, connected });
    return { broker: brokerKey(block.broker), userId: block.userId, connected, walletKey };
  }
}
