/**
 * Opening a PayWord chain for a vendor (docs/protocol.md 12.5 and 12.7): the broker's terms
 * (`GET /api/payword`, cached a day), a new chain of N links worth the challenge's `linkValue`, its
 * commitment (expiring at now + min(the reader's chain lifetime, the broker's `maxExpirySeconds`))
 * signed with the wallet key, `POST /api/payword/chains`, and the authorization kept once it
 * verifies under the broker's key.
 *
 * Money is never lost or held twice:
 * - the chain is recorded (`opening`) before its request goes out; an answer that never came
 *   leaves it so, and the next attempt sends the very same request, which the broker answers with
 *   the stored authorization (it holds a chain once);
 * - a 4xx means nothing was held: the chain is dropped, and the error is the outcome
 *   (`insufficient_funds`, `wallet_not_connected`, ...);
 * - openings for one vendor run one at a time, and each first looks again for a chain that fits:
 *   two tabs needing a chain at once open one.
 * @module
 */
import { ChainProposalError, fromBase64, makeChain, openingSize, toBase64, verifyAuthorization } from '@micromint/shared';
import {
  addOpeningChain,
  brokerKey,
  brokerRecord,
  cacheInfo,
  chainsOfVendor,
  closeChain,
  dropOpeningChain,
  forgetInfo,
  heldMillsAcrossChains,
  markChainOpen,
  markDisconnected,
  openingChain,
  usableChain,
  walletKey,
  type ChainRecord,
  type ChainWant,
  type PaywordInfoRecord,
} from '../wallet/index.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { ChainOpenError, PaywordBrokerClient } from './payword-broker.ts';
import type { SchemeContext } from './schemes/types.ts';

/** How long the broker's chain terms are kept before they are fetched again. */
export const INFO_TTL_MS = 24 * 60 * 60 * 1000;

/** Broker errors after which the cached terms are fetched again before the next chain. */
const STALE_TERMS = new Set(['bad_expiry', 'bad_commitment', 'wrong_broker']);

/** A chain to open: the vendor's terms, the links the page needs, and the length the choice settled on. */
export interface ChainOrder extends ChainWant {
  length: number;
}

/** Opens chains; one per worker (its queue keeps openings for one vendor in turn). */
export class ChainOpener {
  private readonly queue = new KeyedQueue<string>();

  constructor(private readonly api: PaywordBrokerClient = new PaywordBrokerClient()) {}

  /**
   * Makes sure an open chain fits `order`: one that fits already (another tab opened it), one
   * being opened (its request sent again), or a new one.
   * @throws ChainOpenError with nothing held for the reader, or (`broker-unreachable`) with the
   *   chain kept as `opening`, to be asked about again.
   * @example
   * await opener.ensure(ctx, { broker, vendorId, vendorKey, value: 1, units: 1, length: 100 });
   */
  ensure(ctx: SchemeContext, order: ChainOrder): Promise<ChainRecord> {
    return this.queue.run(`${brokerKey(order.broker)} ${order.vendorId}`, () => this.open(ctx, order));
  }

  private async open(ctx: SchemeContext, order: ChainOrder): Promise<ChainRecord> {
    const { db, now } = ctx;
    const chains = await chainsOfVendor(db, order.vendorId);
    const fits = usableChain(chains, order, now);
    if (fits) return fits;
    const broker = await brokerRecord(db, order.broker);
    if (!broker?.connected || !broker.userId)
      throw new ChainOpenError(
        'not-connected',
        `this wallet is not connected to your account at ${brokerKey(order.broker)}: connect it on the broker's account page`,
      );
    const info = await this.info(ctx, order.broker, broker.info, broker.infoAt);
    if (brokerKey(info.broker) !== brokerKey(order.broker))
      throw new ChainOpenError('wrong-broker', `the site names the broker ${order.broker}, which calls itself ${info.broker}`);
    if (order.value > info.maxValue)
      throw new ChainOpenError(
        'bad_commitment',
        `the broker takes links of at most ${info.maxValue} mills; this site's are ${order.value}`,
      );
    const pending = openingChain(chains, order, now);
    const chain = pending?.userId === broker.userId ? pending : await this.create(ctx, order, broker.userId, info);
    return this.authorize(ctx, chain, info);
  }

  /** The broker's terms: the cached ones while fresh, else fetched and cached. */
  private async info(
    ctx: SchemeContext,
    broker: string,
    cached: PaywordInfoRecord | undefined,
    at: number | undefined,
  ): Promise<PaywordInfoRecord> {
    if (cached && at !== undefined && ctx.now - at < INFO_TTL_MS && ctx.now >= at) return cached;
    const info = await this.api.info(broker);
    await cacheInfo(ctx.db, broker, info, ctx.now);
    return info;
  }

  /** Makes, signs and records (as `opening`) a new chain for `order` (shared's `openingSize` and `makeChain`). */
  private async create(ctx: SchemeContext, order: ChainOrder, userId: string, info: PaywordInfoRecord): Promise<ChainRecord> {
    const { db, now, settings } = ctx;
    // The choice sized the chain before this queue turn: size it again against what is held now.
    const size = openingSize({
      units: order.units,
      value: order.value,
      length: order.length,
      heldMills: await heldMillsAcrossChains(db, now),
      maxHeldMills: settings.maxHeldMills,
      maxLength: info.maxLength,
      lifetimeSeconds: settings.chainLifetimeSeconds,
      maxExpirySeconds: info.maxExpirySeconds,
      now,
    });
    if ('refusal' in size) throw new ChainOpenError(size.refusal === 'held-cap' ? 'held-cap' : 'bad_expiry', size.message);
    const secret = (await walletKey(db, now)).secretKey;
    let made: ReturnType<typeof makeChain>;
    try {
      made = makeChain({ ...order, userId, ...size }, secret, now);
    } catch (e) {
      throw e instanceof ChainProposalError ? new ChainOpenError(e.code, e.message) : e;
    }
    const chain: ChainRecord = { ...made.record, ...made.secrets };
    await addOpeningChain(db, chain);
    ctx.log(`opening chain ${chain.id} for ${order.vendorId}: ${chain.length} links of ${order.value} mills`);
    return chain;
  }

  /** Sends the chain's request and records what the broker answered. */
  private async authorize(ctx: SchemeContext, chain: ChainRecord, info: PaywordInfoRecord): Promise<ChainRecord> {
    const { db, now } = ctx;
    const key = await walletKey(db, now);
    const result = await this.api.authorize(chain.broker, {
      commitment: toBase64(chain.commitment),
      walletKey: toBase64(key.publicKey),
      signature: toBase64(chain.request),
    });
    if (result.kind === 'unknown') {
      ctx.log(`chain ${chain.id} stays opening: ${result.error.message}`);
      throw result.error;
    }
    if (result.kind === 'refused') {
      await dropOpeningChain(db, chain.id);
      if (result.error.code === 'wallet_not_connected') await markDisconnected(db, chain.broker, now);
      if (STALE_TERMS.has(result.error.code)) await forgetInfo(db, chain.broker, now);
      throw result.error;
    }
    const { answer } = result;
    if (answer.chainId !== chain.id || !verifyAuthorization(fromBase64(info.brokerKey), answer.authorization, chain.commitment)) {
      // The broker may hold the chain; the vendor would refuse this authorization. Its rest comes back after expiry.
      await closeChain(db, chain.id, 'bad-authorization', now);
      await forgetInfo(db, chain.broker, now);
      throw new ChainOpenError('bad-authorization', "the broker's authorization does not verify under its key");
    }
    const open = await markChainOpen(db, chain.id, answer.authorization, now);
    return open ?? chain;
  }
}
