/**
 * What a vendor store keeps for the `payword` scheme: the chains it was paid with (commitment,
 * highest link, unclaimed gaps, what the broker cleared) and each payment's range, so that a
 * restart, a retry or a second instance on the same store verifies the next link without the
 * broker, and so that every unit pays for one request only.
 * @module
 */
import type { Refusal } from './store.ts';

/** A chain as the payword scheme verified it: its commitment and the terms it names. */
export interface NewChain {
  /** 32 lower-case hex characters: the chain id of `commitment`. */
  chainId: string;
  /** The commitment bytes, as the broker authorized them (sent to the broker when clearing). */
  commitment: Uint8Array;
  /** The paying user (the commitment's `userId`). */
  userId: string;
  /** n: links in the chain. */
  length: number;
  /** Mills per link. */
  value: number;
  /** Unix time in seconds; no link is accepted after it. */
  expiresAt: number;
  /** w_0. */
  root: Uint8Array;
  /** The chain's salt (each hash step uses it). */
  salt: Uint8Array;
}

/** A verified payword payment to record: the range `index - units + 1 .. index` of `chain`. */
export interface NewPaywordPayment {
  /** Payment id, returned as `transaction` in `PAYMENT-RESPONSE`. */
  id: string;
  /** The chain; recorded with the first payment of it the store takes. */
  chain: NewChain;
  /** j: index of the revealed link. */
  index: number;
  /** l: links paid. */
  units: number;
  /** w_j. */
  link: Uint8Array;
  /** Request method the MAC binds (upper case). */
  method: string;
  /** Absolute URL the MAC binds. */
  url: string;
  /** The payment's MAC (verified): a retry repeats it byte for byte. */
  mac: Uint8Array;
  /** ISO 8601 time of payment. */
  paidAt: string;
}

/** What {@link PaywordStore.recordPaywordPayment} did; `highestIndex` is the chain's M afterwards. */
export type PaywordOutcome =
  /** New payment: it, its range and the chain's new state are recorded durably. */
  | { status: 'recorded'; paymentId: string; highestIndex: number }
  /** The same chain, range, method, URL and MAC were recorded before: nothing changed. */
  | { status: 'replay'; paymentId: string; paidAt: string; highestIndex: number }
  /** Refused in the transaction and added to the refusal log; nothing else was recorded. */
  | { status: 'refused'; reason: 'already-spent' | 'bad-link' | 'too-many-gaps'; highestIndex: number };

/** A payment to look up as a retry of a recorded one: everything a retry repeats. */
export interface PaywordReplayQuery {
  chainId: string;
  index: number;
  units: number;
  method: string;
  url: string;
  mac: Uint8Array;
}

/** A chain the store knows. */
export interface StoredChain {
  chainId: string;
  commitment: Uint8Array;
  length: number;
  value: number;
  expiresAt: number;
  /** M: the highest index paid. */
  highestIndex: number;
  /** The highest index the broker cleared (paid for) so far. */
  clearedIndex: number;
  /** Units and mills the broker credited for the chain so far. */
  paidUnits: number;
  paidMills: number;
  /** The last clearing the broker refused, with its index (sent again only once M is above it). */
  refused?: { index: number; reason: string };
}

/** A chain as sent to the broker's `POST /api/redeem` (`chains` member). */
export interface RedeemChain {
  chainId: string;
  commitment: Uint8Array;
  /** j: the highest index when the batch was made (kept with the batch, so a resend is identical). */
  index: number;
  /** w_j. */
  link: Uint8Array;
}

/** One chain in the broker's answer. */
export interface BrokerChainResult {
  chainId: string;
  status: 'cleared' | 'refused';
  reason?: string;
  /** c after this clearing: the highest index the broker has paid for. */
  clearedIndex: number;
  /** Units and mills paid by this clearing (0 when `j <= c`). */
  paidUnits: number;
  paidMills: number;
}

/** A chain whose highest index is above what the broker cleared: money still to collect. */
export interface UnclearedChain {
  chainId: string;
  expiresAt: number;
  highestIndex: number;
  clearedIndex: number;
  value: number;
}

/**
 * The payword part of a {@link VendorStore}. Optional in the interface (stores written before
 * it still work for coins); `micromint({ schemes: [..., 'payword'] })` requires every method.
 */
export interface PaywordStore {
  /** The chain of `chainId`, if a payment of it was recorded. */
  paywordChain(chainId: string): Promise<StoredChain | undefined>;
  /**
   * In ONE transaction (a compare-and-set on the chain's row): {@link classifyPayword} against the
   * chain's ledger (a chain not known yet starts from its root) and the recorded payment ending at
   * the same index. A `replay` marks that payment as served again (it is then never taken back)
   * and changes nothing else; a refusal is added to the refusal log and records nothing else (not
   * the chain either); a new payment is recorded with its range, and the chain's highest link,
   * gaps and (first time) commitment are written. Durable when the promise resolves.
   */
  recordPaywordPayment(payment: NewPaywordPayment): Promise<PaywordOutcome>;
  /** The recorded payment `query` repeats, marked as served again; nothing else changes. */
  findPaywordReplay(query: PaywordReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined>;
  /**
   * Takes back a payment recorded and then not served (5xx), in ONE transaction, only when no one
   * else has a claim on it: it was never served again as a replay, no index of its range is at or
   * below what the broker cleared or a clearing batch in flight carries, and `releaseRange`
   * allows it. Its range is unclaimed again (the wallet may pay with it anew). True when done.
   */
  unrecordPaywordPayment(paymentId: string): Promise<boolean>;
  /** Chains with units not cleared yet (for the clearing deadline warnings). */
  unclearedChains(): Promise<UnclearedChain[]>;
  /** The value kept under `name`, if any. */
  loadKey(name: string): Promise<string | undefined>;
  /**
   * Keeps `value` under `name` unless a value is kept there already, and returns the kept one: a
   * key made by two requests (or instances) at once ends up the same for both.
   */
  saveKey(name: string, value: string): Promise<string>;
}

const PAYWORD_METHODS = [
  'paywordChain',
  'recordPaywordPayment',
  'findPaywordReplay',
  'unrecordPaywordPayment',
  'unclearedChains',
  'loadKey',
  'saveKey',
] as const satisfies readonly (keyof PaywordStore)[];

/** Checks, at construction, that a store can take payword payments. */
export function assertPaywordStore(value: object, name = 'store'): asserts value is PaywordStore {
  for (const m of PAYWORD_METHODS)
    if (typeof (value as Record<string, unknown>)[m] !== 'function')
      throw new TypeError(`${name}.${m} must be a function: the payword scheme needs a store that keeps chains`);
}

/** The refusal-log entry of a payword payment a store refused in its transaction. */
export const paywordRefusal = (p: NewPaywordPayment, reason: string): Refusal => ({
  at: p.paidAt,
  scheme: 'payword',
  epoch: '',
  userId: p.chain.userId,
  method: p.method,
  url: p.url,
  reason,
  coinIds: [],
  chainId: p.chain.chainId,
  index: p.index,
  units: p.units,
});
