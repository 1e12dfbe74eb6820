/**
 * Opening a PayWord chain for a vendor (docs/protocol.md 12.5, 12.7): the broker's terms (`GET
 * /api/payword`, kept a day), a new chain worth the offer's link value, its commitment signed with
 * the wallet key, `POST /api/payword/chains`, and the authorization kept once it verifies under
 * the broker's key. Money is never lost or held twice: the chain is recorded (`opening`) before its
 * request leaves, so an answer that never came is asked for again with the very same bytes (the
 * broker holds a chain once); a 4xx means nothing was held and the chain is dropped.
 * @module
 */
import {
  brokerOrigin,
  ChainProposalError,
  fromBase64,
  makeChain,
  openingChain,
  openingSize,
  toBase64,
  usableChain,
  verifyAuthorization,
  type ChainPolicy,
  type ChainWant,
  type PaywordInfo,
} from '@micromint/shared';
import { BrokerError, WalletError } from '../errors.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import {
  addOpeningChain,
  chainsOfVendor,
  closeChain,
  dropOpeningChain,
  heldMillsAcrossChains,
  markChainOpen,
  type ChainRecord,
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

  /** Makes, signs and records (as `opening`) a new chain, sized again against what is held now. */
  private create(order: ChainOrder, userId: string, info: PaywordInfo, now: number): ChainRecord {
    const policy = this.policy();
    const size = openingSize({
      units: order.units,
      value: order.value,
      length: order.length,
      heldMills: heldMillsAcrossChains(this.db, now),
      maxHeldMills: policy.maxHeldMills,
      maxLength: info.maxLength,
      lifetimeSeconds: policy.chainLifetimeSeconds,
      maxExpirySeconds: info.maxExpirySeconds,
      now,
    });
    if ('refusal' in size) throw new WalletError(size.refusal === 'held-cap' ? 'held-cap' : 'unpayable', size.message);
    let chain: ChainRecord;
    try {
      ({ record: chain } = makeChain({ ...order, userId, ...size }, walletKey(this.db).secretKey, now));
    } catch (e) {
      throw e instanceof ChainProposalError ? new WalletError('unpayable', e.message) : e;
    }
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
