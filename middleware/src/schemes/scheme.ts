/**
 * The scheme seam (x402's shape: each scheme is one module with a server half the core calls).
 * `micromint()` knows how to sell a URL, when to answer 402, 400 or 503, the replay window, the
 * access cookie and taking back a payment whose page failed; a {@link VendorScheme} knows its
 * own offer, how its payments are checked and recorded, and what its receipts and refusals say.
 * @module
 */
import type { EpochParams, PaymentPayload, PaymentRequirements, RefusalReason } from '@micromint/shared';
import type { BrokerUnavailableError, NoCurrentEpochError } from '../errors.ts';
import type { StoreGuard } from '../guard.ts';
import type { MicroMintLogger, Settings } from '../options.ts';
import type { Refusal, VendorStore } from '../store.ts';

/** What a scheme sees of the request it sells. */
export interface SaleTerms {
  /** Absolute URL of the request (the vendor's origin + path and query). */
  url: string;
  /** Price in mills (1 coin = 1 mill). */
  price: number;
  /** The method a payment is bound to, upper case (`HEAD` counts as `GET`). */
  method: string;
  /** The request's own method, upper case (what a payword MAC covers). */
  requestMethod: string;
  /** The clock at the request's arrival, in milliseconds since 1970. */
  now: number;
}

/** Why a payment attempt failed, for the repeated 402. */
export interface PaymentFailure {
  /** Reason code, e.g. `already-spent`, `wrong-amount`, `unknown-chain`. */
  error: string;
  detail?: string;
  /** A sentence for the paywall page, when the code has a scheme's own meaning. */
  text?: string;
  /** `extensions` of the PAYMENT-REQUIRED JSON: the failing scheme's entry. */
  extensions?: Record<string, unknown>;
  /** The same for the header, when `extensions` is too long for it. */
  headerExtensions?: Record<string, unknown>;
  /** MicroMint: the refused coins with their bytes (for the Invalid-Payment message) and their k. */
  coins?: { coin: Uint8Array; reason: RefusalReason }[];
  k?: number;
  /** MicroMint: the epoch of the refused coins, offered again when the broker has no newer one. */
  epoch?: EpochParams;
}

/** A scheme's entry of a challenge, or why it cannot offer one now (503 when no scheme can). */
export type Offer =
  | {
      ok: true;
      requirements: PaymentRequirements;
      /** MicroMint: the epoch offered (the paywall and the MicroMint-1.0 messages name it). */
      epoch?: EpochParams;
    }
  | { ok: false; error: BrokerUnavailableError | NoCurrentEpochError };

/** A refused payment: what the 402 says, and what the logs get. */
export interface Refused {
  failure: PaymentFailure;
  /** For the refusal log, written by the core (a store that logs in its own transaction leaves it out). */
  log?: Refusal;
  /** A line for `logger.warn`. */
  warning?: string;
}

/** A payment accepted for a sale: recorded now, or recorded before and repeated. */
export interface Paid {
  scheme: string;
  /** The `transaction` of the receipt. */
  paymentId: string;
  /** The paying user. */
  payer: string;
  /** When the payment was recorded (ISO 8601): the replay window runs from it. */
  paidAt: string;
  /** True when this request repeated a payment already recorded. */
  replay: boolean;
  /** True when this very request recorded the payment (only then may it be taken back). */
  recordedHere: boolean;
  /** MicroMint: ids of the coins paid (empty for other schemes). */
  coins: string[];
  /** Payword: the chain and the range paid (index j, units l). */
  chain?: { chainId: string; index: number; units: number };
  /** For the log: what was paid, e.g. `2 coins` or `units 3..4 of chain 0a1b…`. */
  summary: string;
}

/** What recording a valid payment (or looking up a retry) came to. */
export type Recorded =
  | { status: 'recorded'; paid: Paid }
  /** Recorded before: served again within the replay window, else refused with `late`. */
  | { status: 'replay'; paid: Paid; late: Refused }
  | { status: 'refused'; refused: Refused };

/** The outcome of checking a payment, before anything is recorded. */
export type SchemeCheck<Valid, Retry> =
  /** The payment cannot be read: 400, nothing consumed. */
  | { kind: 'malformed'; message: string }
  /** The scheme cannot check payments now (the broker's terms are unknown): 503, nothing consumed. */
  | { kind: 'unavailable'; error: BrokerUnavailableError }
  /**
   * Readable but not acceptable: 402. `retry` is set when the refusal is for terms that may have
   * moved on since the same payment was recorded (a price, an expiry): the core asks
   * {@link VendorScheme.findRecorded} first and serves that payment as a replay.
   */
  | { kind: 'refused'; refused: Refused; retry?: Retry }
  /** Verified: record it, then serve. */
  | { kind: 'valid'; valid: Valid };

/** What a scheme module is built with. */
export interface SchemeDeps {
  /** The validated options. */
  cfg: Settings;
  store: VendorStore;
  /** Store calls through it: a failing store is a 503 with its cause logged once. */
  guard: StoreGuard;
  logger: MicroMintLogger;
}

/**
 * One payment scheme this vendor takes: the server half of x402's scheme modules, keyed by
 * `scheme`. The core calls `accepts` for every challenge (in the site's order), dispatches a
 * payment on `accepted.scheme` to `check` then `record`, and builds receipts and refusals from
 * the scheme's own `extensions` entries.
 */
export interface VendorScheme<Valid = unknown, Retry = unknown> {
  readonly scheme: string;
  /** Starts what the scheme needs from the broker (at construction; never throws, never blocks). */
  start?(): void;
  /** Its `accepts` entry for a challenge for `sale` (after `failure`, if a payment failed). */
  accepts(sale: SaleTerms, failure?: PaymentFailure): Promise<Offer>;
  /** Reads and verifies a payment of this scheme; records nothing. */
  check(payment: PaymentPayload, sale: SaleTerms): Promise<SchemeCheck<Valid, Retry>>;
  /** Records a verified payment in ONE store transaction (new, replay, or refused there). */
  record(valid: Valid, sale: SaleTerms): Promise<Recorded>;
  /** The recorded payment a refused one repeats (as a `replay`), if any. */
  findRecorded(retry: Retry, sale: SaleTerms): Promise<Recorded | undefined>;
  /** Takes back a payment this request recorded and then did not serve (5xx); true when done. */
  release(paid: Paid): Promise<boolean>;
  /** The receipt's `extensions` entry for a payment taken, or (`released`) given back untaken. */
  receipt(paid: Paid, released: boolean): Record<string, unknown>;
  /** What an unchecked payment carries, as a receipt entry that gives it back untaken (a free URL). */
  unclaimed(payment: PaymentPayload): { payer?: string; extension: Record<string, unknown> };
}
