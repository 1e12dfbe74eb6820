/**
 * Opening a PayWord chain for a vendor (docs/protocol.md 12.5, 12.7): the broker's terms (`GET
 * /api/payword`, kept a day), a new chain worth the offer's link value, its commitment signed with
 * the wallet key, `POST /api/payword/chains`, and the authorization kept once it verifies under
 * the broker's key. Money is never lost or held twice: the chain is recorded (`opening`) before its
 * request leaves, so an answer that never came is asked for again with the very same bytes (the
 * broker holds a chain once); a 4xx means nothing was held and the chain is dropped.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  brokerOrigin,
  buildChain,
  chainIdOf,
  encodeCommitment,
  fromBase64,
  fromHex,
  macKey,
  newAgreementKey,
  signRequest,
  toBase64,
  verifyAuthorization,
  type PaywordInfo,
} from '@micromint/shared';
import { BrokerError, WalletError } from '../errors.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { chainLifetime, newChainLength, type ChainPolicy } from '../pay/choose-scheme.ts';
import {
  addOpeningChain,
  CHAIN_EXPIRY_MARGIN_SECONDS,
  chainsOfVendor,
  closeChain,
  dropOpeningChain,
  heldMillsAcrossChains,
  markChainOpen,
  openingChain,
  unixSeconds,
  usableChain,
  type ChainRecord,
  type ChainWant,
} from '../wallet/chains.ts';
import { immediate, type WalletDb } from '../wallet/db.ts';
import { getMeta, setMeta } from '../wallet/meta.ts';
import { walletKey } from '../wallet/wallet-key.ts';
import type { BrokerClient } from './api.ts';

/** How long the broker's chain terms are kept before they are asked for again. */
export const INFO_TTL_MS = 24 * 60 * 60 * 1000;

/** A chain to open: the vendor's terms and the length the choice settled on. */
export interface ChainOrder extends ChainWant {
  length: number;
}

/** Opens chains for one wallet; one per wallet handle (its queue keeps openings for one vendor in turn). */
export class ChainOpener {
  private readonly queue = new KeyedQueue();
  private readonly terms = new Map<string, { info: PaywordInfo; at: number }>();

  constructor(
    private readonly db: WalletDb,
    private readonly broker: () => BrokerClient,
    private readonly policy: () => ChainPolicy,
  ) {}

  /**
   * An open chain that fits `order`: one there already (another call opened it), the one being
   * opened (its request sent again), or a new one.
   * @throws WalletError `not-connected`; BrokerError with the broker's code (nothing held), or
   *   `broker-unreachable` (the chain stays `opening`, to be asked about again).
   */
  ensure(order: ChainOrder, now: number): Promise<ChainRecord> {
    return this.queue.run(order.vendorId, () => this.open(order, now));
  }

  /** The broker's chain terms, fresh within a day. */
  async info(now: number): Promise<PaywordInfo> {
    const client = this.broker();
    const cached = this.terms.get(client.base);
    if (cached && now - cached.at < INFO_TTL_MS && now >= cached.at) return cached.info;
    const info = await client.paywordInfo();
    this.terms.set(client.base, { info, at: now });
    return info;
  }

  private async open(order: ChainOrder, now: number): Promise<ChainRecord> {
    const fits = usableChain(chainsOfVendor(this.db, order.vendorId), order, now);
    if (fits) return fits;
    const client = this.broker();
    const userId = getMeta(this.db, 'userId');
    const connected = getMeta(this.db, 'walletKeyConnected');
    if (
      !userId ||
      !connected ||
      brokerOrigin(connected) !== brokerOrigin(order.broker) ||
      brokerOrigin(client.base) !== brokerOrigin(order.broker)
    )
      throw new WalletError(
        'not-connected',
        `this wallet's key is not connected to an account at ${order.broker}: run \`micromint-wallet login\``,
      );
    const info = await this.info(now);
    if (brokerOrigin(info.broker) !== brokerOrigin(order.broker))
      throw new WalletError('wrong-broker', `the site names ${order.broker}, which calls itself ${info.broker}`);
    if (order.value > info.maxValue)
      throw new WalletError('unpayable', `the broker takes links of at most ${info.maxValue} mills; this site's are ${order.value}`);
    const pending = openingChain(chainsOfVendor(this.db, order.vendorId), order, now);
    const chain = pending?.userId === userId ? pending : this.create(order, userId, info, now);
    return this.authorize(client, chain, info, now);
  }

  /** Makes, signs and records (as `opening`) a new chain. */
  private create(order: ChainOrder, userId: string, info: PaywordInfo, now: number): ChainRecord {
    const policy = this.policy();
    const length = Math.min(
      order.length,
      newChainLength({
        units: order.units,
        value: order.value,
        chainLinks: order.length,
        heldMills: heldMillsAcrossChains(this.db, now),
        maxHeldMills: policy.maxHeldMills,
        maxLength: info.maxLength,
      }),
    );
    if (length < order.units)
      throw new WalletError('held-cap', `your open chains already hold close to your limit of ${policy.maxHeldMills} mills`);
    const lifetime = chainLifetime(policy.chainLifetimeSeconds, info.maxExpirySeconds);
    if (lifetime <= 2 * CHAIN_EXPIRY_MARGIN_SECONDS)
      throw new WalletError('unpayable', `the broker lets chains live ${info.maxExpirySeconds} s only`);
    const salt = new Uint8Array(randomBytes(16));
    const built = buildChain(new Uint8Array(randomBytes(32)), salt, length);
    const chainKey = newAgreementKey();
    const vendorKey = fromBase64(order.vendorKey);
    const expiresAt = unixSeconds(now) + lifetime;
    const commitment = encodeCommitment({
      broker: order.broker,
      userId,
      vendorId: order.vendorId,
      vendorKey,
      walletKey: chainKey.publicKey,
      root: built.root,
      salt,
      length,
      value: order.value,
      expiresAt,
    });
    const id = chainIdOf(commitment);
    let mac: Uint8Array;
    try {
      mac = macKey(chainKey.secretKey, vendorKey, fromHex(id));
    } catch {
      throw new WalletError('unpayable', 'the site offers a key no payment can be bound to');
    }
    const chain: ChainRecord = {
      id,
      broker: order.broker,
      userId,
      vendorId: order.vendorId,
      vendorKey: order.vendorKey,
      value: order.value,
      length,
      expiresAt,
      salt,
      checkpoints: built.checkpoints,
      macKey: mac,
      commitment,
      request: signRequest(walletKey(this.db).secretKey, commitment),
      next: 1,
      status: 'opening',
      sentCommitment: false,
      createdAt: now,
      updatedAt: now,
    };
    immediate(this.db, () => addOpeningChain(this.db, chain));
    return chain;
  }

  private async authorize(client: BrokerClient, chain: ChainRecord, info: PaywordInfo, now: number): Promise<ChainRecord> {
    const result = await client.authorizeChain({
      commitment: toBase64(chain.commitment),
      walletKey: toBase64(walletKey(this.db).publicKey),
      signature: toBase64(chain.request),
    });
    if (result.kind === 'unknown') throw result.error;
    if (result.kind === 'refused') {
      dropOpeningChain(this.db, chain.id);
      if (result.error.code === 'wallet_not_connected') immediate(this.db, () => setMeta(this.db, 'walletKeyConnected', ''));
      if (['bad_expiry', 'bad_commitment', 'wrong_broker'].includes(result.error.code)) this.terms.delete(client.base);
      throw result.error;
    }
    if (result.chainId !== chain.id || !verifyAuthorization(fromBase64(info.brokerKey), result.authorization, chain.commitment)) {
      // The broker may hold the chain; no vendor would take this authorization. Its hold comes back after expiry.
      closeChain(this.db, chain.id, 'bad-authorization', now);
      this.terms.delete(client.base);
      throw new BrokerError('bad-authorization', "the broker's authorization does not verify under its key", 200);
    }
    return markChainOpen(this.db, chain.id, result.authorization, now) ?? chain;
  }
}
