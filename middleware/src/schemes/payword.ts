/**
 * The `payword` scheme, vendor side (docs/protocol.md section 12.6): a payment reveals link w_j
 * of a hash chain the broker authorized, paying the l units j - l + 1 .. j, bound to the request
 * by an HMAC. The vendor checks it with no broker call, in the spec's order: the offer, the chain
 * (its commitment and the broker's authorization, the first time), expiry, index, units, MAC;
 * then one store transaction takes the range (a retry, a claimed index, the link against the
 * highest link held, the gaps). All chain math is shared's; the bookkeeping is `payword-ledger`.
 *
 * Per chain the vendor does one Ed25519 verification and one X25519 (the MAC key, cached); per
 * payment one HMAC and l hashes.
 * @module
 */
import {
  chainIdOf,
  decodeCommitment,
  equalBytes,
  fromHex,
  macKey,
  PAYWORD_REFUSALS,
  PAYWORD_SCHEME,
  PaymentHeaderError,
  paywordRequirements,
  readPaywordPayload,
  readPaywordRequirements,
  unitsFor,
  verifyAuthorization,
  verifyPaymentMac,
  type Commitment,
  type PaymentPayload,
  type PaywordExtra,
  type PaywordPayment,
  type PaywordRefusal,
} from '@micromint/shared';
import { BrokerUnavailableError } from '../errors.ts';
import type { NewChain, PaywordReplayQuery, PaywordStore, StoredChain } from '../payword-store.ts';
import { newPaymentId } from '../store.ts';
import type { PaywordKeys } from './payword-keys.ts';
import type { Offer, Paid, Recorded, Refused, SaleTerms, SchemeCheck, SchemeDeps, VendorScheme } from './scheme.ts';

/** A verified payword payment: the chain's terms and the claim. */
export interface PaywordValid {
  chain: NewChain;
  pay: PaywordPayment;
}

/** A payment refused for terms that may have moved on (expiry, price): looked up as a retry. */
export interface PaywordRetry {
  query: PaywordReplayQuery;
  userId: string;
  highestIndex: number;
}

/** A chain's terms as the vendor verified them, with its MAC key once agreed. */
interface ChainTerms {
  chain: NewChain;
  walletKey: Uint8Array;
  /** Undefined until first needed; null when the wallet key gives no shared secret. */
  macKey?: Uint8Array | null;
}

/** Chains whose terms and MAC key are kept in memory (one X25519 per chain, not per payment). */
const CACHED_CHAINS = 4096;

type Check = SchemeCheck<PaywordValid, PaywordRetry>;

/** What a payword refusal names: the chain, and the highest index when the vendor knows the chain. */
interface RefusalContext {
  chainId: string;
  highestIndex?: number;
  /** Set once the chain is authenticated (known, or its authorization verified): then the refusal is logged. */
  user?: string;
  index: number;
  units: number;
}

/** A payword refusal: the 402's failure, and the refusal log entry once the chain is authenticated. */
function refusal(reason: PaywordRefusal, sale: SaleTerms, r: RefusalContext, detail?: string, warn = false): Refused {
  const failure = {
    error: reason,
    ...(detail ? { detail } : {}),
    text: PAYWORD_REFUSALS[reason],
    extensions: { payword: { chainId: r.chainId, reason, ...(r.highestIndex !== undefined ? { highestIndex: r.highestIndex } : {}) } },
  };
  // Only payments of an authenticated chain reach the refusal log: junk must not cost a durable write.
  if (r.user === undefined) return { failure };
  const log = {
    at: new Date(sale.now).toISOString(),
    scheme: PAYWORD_SCHEME,
    epoch: '',
    userId: r.user,
    method: sale.requestMethod,
    url: sale.url,
    reason,
    coinIds: [],
    chainId: r.chainId,
    index: r.index,
    units: r.units,
    ...(detail ? { detail } : {}),
  };
  const warning = `micromint: refused payword payment ${r.chainId}:${r.index} (${r.units} units) by ${r.user} for ${sale.url}: ${reason}`;
  return { failure, log, ...(warn ? { warning } : {}) };
}

const refuse = (
  reason: PaywordRefusal,
  sale: SaleTerms,
  r: RefusalContext,
  detail?: string,
  warn = false,
): Extract<Check, { kind: 'refused' }> => ({
  kind: 'refused',
  refused: refusal(reason, sale, r, detail, warn),
});

/** Terms of a decoded commitment. */
const termsOf = (chainId: string, bytes: Uint8Array, c: Commitment): ChainTerms => ({
  chain: {
    chainId,
    commitment: bytes,
    userId: c.userId,
    length: c.length,
    value: c.value,
    expiresAt: c.expiresAt,
    root: c.root,
    salt: c.salt,
  },
  walletKey: c.walletKey,
});

/** What a receipt and the log say of a payword payment. */
const paidOf = (
  q: { userId: string; chainId: string; index: number; units: number },
  paymentId: string,
  paidAt: string,
  replay: boolean,
): Paid => ({
  scheme: PAYWORD_SCHEME,
  paymentId,
  payer: q.userId,
  paidAt,
  replay,
  recordedHere: !replay,
  coins: [],
  chain: { chainId: q.chainId, index: q.index, units: q.units },
  summary: `units ${q.index - q.units + 1}..${q.index} of chain ${q.chainId}`,
});

/** The `payword` scheme module, on the vendor's keys (see `PaywordKeys`). */
export class PaywordScheme implements VendorScheme<PaywordValid, PaywordRetry> {
  readonly scheme = PAYWORD_SCHEME;
  private readonly cfg: SchemeDeps['cfg'];
  private readonly guard: SchemeDeps['guard'];
  private readonly store: PaywordStore;
  private readonly keys: PaywordKeys;
  private readonly cache = new Map<string, ChainTerms>();

  constructor(deps: SchemeDeps & { keys: PaywordKeys }) {
    this.cfg = deps.cfg;
    this.guard = deps.guard;
    this.store = deps.store as PaywordStore;
    this.keys = deps.keys;
  }

  start(): void {
    this.keys.start();
  }

  close(): void {
    this.keys.close();
  }

  async accepts(sale: SaleTerms): Promise<Offer> {
    if (!(await this.keys.ready()))
      return {
        ok: false,
        error: new BrokerUnavailableError(`the broker ${this.cfg.broker} has not confirmed this vendor's payword key yet`),
      };
    const requirements = paywordRequirements({
      price: sale.price,
      vendorId: this.cfg.vendorId,
      broker: this.cfg.broker,
      vendorKey: (await this.keys.vendorKey()).publicKey,
      linkValue: this.cfg.linkValue,
      maxTimeoutSeconds: this.cfg.maxTimeoutSeconds,
    });
    return { ok: true, requirements };
  }

  /** Steps 1 to 7 of section 12.6, in order; records nothing. */
  async check(payment: PaymentPayload, sale: SaleTerms): Promise<Check> {
    let pay: PaywordPayment;
    try {
      readPaywordRequirements(payment.accepted);
      pay = readPaywordPayload(payment);
    } catch (e) {
      if (e instanceof PaymentHeaderError) return { kind: 'malformed', message: e.message };
      throw e;
    }
    const { cfg } = this;
    const r: RefusalContext = { chainId: pay.chainId, index: pay.index, units: pay.units };
    // 1. the offer is ours
    const extra = payment.accepted.extra as unknown as PaywordExtra;
    if (payment.accepted.network !== cfg.network || extra.broker !== cfg.broker)
      return refuse('wrong-network', sale, r, `this vendor takes chains of ${cfg.network}`);
    if (payment.accepted.payTo !== cfg.vendorId || extra.vendorId !== cfg.vendorId)
      return refuse('wrong-vendor', sale, r, `this payment is made out to ${payment.accepted.payTo.slice(0, 300)}, not ${cfg.vendorId}`);
    // 2. the chain is known, or comes with its commitment
    const stored = await this.guard.run('paywordChain', () => this.store.paywordChain(pay.chainId), false);
    if (!stored && !pay.commitment)
      return refuse('unknown-chain', sale, r, 'send the payment again with the commitment and its authorization');
    if (stored) Object.assign(r, { highestIndex: stored.highestIndex, user: this.knownTerms(stored).chain.userId });
    // 3. with a commitment: this chain's, for this broker, vendor and key, authorized by the broker
    const terms = pay.commitment ? await this.verifyCommitment(pay, sale, r) : this.knownTerms(stored!);
    if ('kind' in terms) return terms;
    r.user = terms.chain.userId;
    // 4. to 7.
    return this.checkTerms(pay, sale, terms, r, stored !== undefined);
  }

  /** Steps 4 to 7: expiry, index, units, MAC. A refusal for terms that moved on (4, 6) may be a retry of a recorded payment. */
  private async checkTerms(pay: PaywordPayment, sale: SaleTerms, terms: ChainTerms, r: RefusalContext, known: boolean): Promise<Check> {
    const { chain } = terms;
    const retry = known
      ? {
          retry: {
            query: { chainId: pay.chainId, index: pay.index, units: pay.units, method: sale.requestMethod, url: sale.url, mac: pay.mac },
            userId: chain.userId,
            highestIndex: r.highestIndex ?? 0,
          },
        }
      : {};
    if (sale.now >= chain.expiresAt * 1000)
      return { ...refuse('expired', sale, r, `the chain expired at ${new Date(chain.expiresAt * 1000).toISOString()}`), ...retry };
    if (pay.index > chain.length) return refuse('index-out-of-range', sale, r, `the chain has ${chain.length} links`);
    const units = unitsFor(sale.price, chain.value);
    if (pay.units !== units)
      return { ...refuse('wrong-amount', sale, r, `the price is ${sale.price} mills: ${units} links of ${chain.value}`), ...retry };
    const key = await this.macKeyOf(terms);
    const input = {
      chainId: pay.chainIdBytes,
      index: pay.index,
      units: pay.units,
      link: pay.link,
      method: sale.requestMethod,
      url: sale.url,
    };
    if (!key || !verifyPaymentMac(key, input, pay.mac))
      return refuse('bad-mac', sale, r, `the MAC does not bind this link to ${sale.requestMethod} ${sale.url}`, true);
    return { kind: 'valid', valid: { chain, pay } };
  }

  /** Step 3: a commitment sent with the payment, checked in the spec's order; its terms, or a refusal. */
  private async verifyCommitment(pay: PaywordPayment, sale: SaleTerms, r: RefusalContext): Promise<ChainTerms | Check> {
    const { cfg } = this;
    const bytes = pay.commitment!;
    if (chainIdOf(bytes) !== pay.chainId) return refuse('bad-commitment', sale, r, 'the commitment is not the one of chainId');
    let c: Commitment;
    try {
      c = decodeCommitment(bytes);
    } catch (e) {
      return refuse('bad-commitment', sale, r, (e as Error).message);
    }
    // The broker compares its URL without trailing slashes; so does the vendor, so both judge a commitment alike.
    if (c.broker.replace(/\/+$/, '') !== cfg.broker.replace(/\/+$/, ''))
      return refuse('wrong-network', sale, r, `the chain is of the broker ${c.broker.slice(0, 300)}, not ${cfg.broker}`);
    if (c.vendorId !== cfg.vendorId)
      return refuse('wrong-vendor', sale, r, `the chain is made out to ${c.vendorId.slice(0, 300)}, not ${cfg.vendorId}`);
    if (!equalBytes(c.vendorKey, (await this.keys.vendorKey()).publicKey))
      return refuse('wrong-vendor-key', sale, r, "the chain names a key that is not this vendor's");
    const brokerKey = await this.keys.brokerKey();
    if (!brokerKey)
      return {
        kind: 'unavailable',
        error: new BrokerUnavailableError(`the broker's payword key is not known yet (GET ${cfg.broker}/api/payword)`),
      };
    if (!verifyAuthorization(brokerKey, pay.authorization!, bytes))
      return refuse('bad-authorization', sale, r, 'the authorization does not verify under the broker key');
    return this.cache.get(pay.chainId) ?? this.remember(termsOf(pay.chainId, bytes, c));
  }

  private remember(t: ChainTerms): ChainTerms {
    if (this.cache.size >= CACHED_CHAINS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(t.chain.chainId, t);
    return t;
  }

  /** The terms of a chain the store knows (decoded once, then cached). */
  private knownTerms(stored: StoredChain): ChainTerms {
    return this.cache.get(stored.chainId) ?? this.remember(termsOf(stored.chainId, stored.commitment, decodeCommitment(stored.commitment)));
  }

  /** The chain's MAC key (X25519 once per chain), or null when the wallet key gives none. */
  private async macKeyOf(t: ChainTerms): Promise<Uint8Array | null> {
    if (t.macKey === undefined) {
      try {
        t.macKey = macKey((await this.keys.vendorKey()).secretKey, t.walletKey, fromHex(t.chain.chainId));
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        t.macKey = null;
      }
    }
    return t.macKey;
  }

  /** Step 8, in one store transaction: recorded, a retry, or refused there (and logged by the store). */
  async record({ chain, pay }: PaywordValid, sale: SaleTerms): Promise<Recorded> {
    const paidAt = new Date(sale.now).toISOString();
    const q = {
      chainId: chain.chainId,
      index: pay.index,
      units: pay.units,
      method: sale.requestMethod,
      url: sale.url,
      mac: pay.mac,
      userId: chain.userId,
    };
    const outcome = await this.guard.run('recordPaywordPayment', () =>
      this.store.recordPaywordPayment({
        id: newPaymentId(),
        chain,
        index: pay.index,
        units: pay.units,
        link: pay.link,
        method: q.method,
        url: q.url,
        mac: pay.mac,
        paidAt,
      }),
    );
    if (outcome.status === 'recorded') return { status: 'recorded', paid: paidOf(q, outcome.paymentId, paidAt, false) };
    if (outcome.status === 'replay') return this.replayOf(sale, q, outcome, outcome.highestIndex);
    // The wallet continues above highestIndex.
    const refused = refusal(outcome.reason, sale, {
      chainId: chain.chainId,
      highestIndex: outcome.highestIndex,
      index: pay.index,
      units: pay.units,
    });
    if (outcome.reason !== 'too-many-gaps')
      refused.warning = `micromint: refused payword payment ${chain.chainId}:${pay.index} (${pay.units} units) by ${chain.userId} for ${sale.url}: ${outcome.reason}`;
    return { status: 'refused', refused };
  }

  /** A recorded payment sent again: served within the replay window, else refused already-spent. */
  private replayOf(
    sale: SaleTerms,
    q: PaywordReplayQuery & { userId: string },
    prior: { paymentId: string; paidAt: string },
    highestIndex: number,
  ): Recorded {
    const detail = `payment ${prior.paymentId} was made at ${prior.paidAt}; the same payment is served again for ${this.cfg.replayWindowSeconds} s only`;
    const late = refusal(
      'already-spent',
      sale,
      { chainId: q.chainId, highestIndex, user: q.userId, index: q.index, units: q.units },
      detail,
    );
    late.warning = `micromint: refused a replay of ${prior.paymentId} by ${q.userId} for ${sale.url} after the replay window (paid at ${prior.paidAt})`;
    return { status: 'replay', paid: paidOf(q, prior.paymentId, prior.paidAt, true), late };
  }

  async findRecorded(retry: PaywordRetry, sale: SaleTerms): Promise<Recorded | undefined> {
    const prior = await this.guard.run('findPaywordReplay', () => this.store.findPaywordReplay(retry.query));
    return prior ? this.replayOf(sale, { ...retry.query, userId: retry.userId }, prior, retry.highestIndex) : undefined;
  }

  release(paid: Paid): Promise<boolean> {
    return this.guard.run('unrecordPaywordPayment', () => this.store.unrecordPaywordPayment(paid.paymentId));
  }

  receipt(paid: Paid, released: boolean): Record<string, unknown> {
    return { ...paid.chain, ...(released ? { released: true } : {}) };
  }

  unclaimed(payment: PaymentPayload): { payer?: string; extension: Record<string, unknown> } {
    let pay: PaywordPayment;
    try {
      pay = readPaywordPayload(payment);
    } catch {
      return { extension: { released: true } };
    }
    let payer: string | undefined;
    try {
      payer = pay.commitment ? decodeCommitment(pay.commitment).userId : undefined;
    } catch {
      payer = undefined; // only echoed back: a commitment that does not decode names nobody
    }
    return { ...(payer ? { payer } : {}), extension: { chainId: pay.chainId, index: pay.index, units: pay.units, released: true } };
  }
}
