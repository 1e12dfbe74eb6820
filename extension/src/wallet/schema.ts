/**
 * The wallet's IndexedDB records and the typed schema `idb` checks them against.
 * The database only ever grows through the migrations in db.ts; this file describes the newest version.
 * @module
 */
import type { DBSchema } from 'idb';
import type { ChainStatus, EpochParamsJson, PaywordInfo, RefusalReason, WalletChain } from '@micromint/shared';

/** A ball's life: unspent, spent in a payment, or returned to the broker for credit. */
export type BallState = 'unspent' | 'spent' | 'returned';

/** An epoch whose sets the wallet holds. */
export interface EpochRecord {
  id: string;
  params: EpochParamsJson;
  /** The broker that sold the sets (Funds-Withdrawn `Broker`). */
  broker: string;
  addedAt: number;
  /** From when the broker takes returns of this epoch (ISO 8601), once it said so. */
  returnsFrom?: string;
}

/** A superbin set: k superbins from the user's offsets, keyed `<epoch>/<first superbin>`. */
export interface SetRecord {
  id: string;
  epoch: string;
  first: number;
  superbins: number[];
  withdrawalId: string;
  userId: string;
  broker: string;
  importedAt: number;
}

/**
 * One ball of a set, keyed by [epoch, x]. Only balls of the first superbin (role 0) are ever spent
 * or returned: a coin is identified by its first ball, and the later balls of a set may appear in
 * coins for several vendors, so they stay `unspent` for ever.
 */
export interface BallRecord {
  epoch: string;
  /** The ball, 16 bytes as lower-case hex. */
  x: string;
  /** The {@link SetRecord} id. */
  set: string;
  /** 0..k-1: which superbin of the set the ball is in. */
  role: number;
  superbin: number;
  subbin: number;
  state: BallState;
  /** The payment that spent it. */
  paymentId?: string;
  /** The return that sent it back for credit. */
  returnId?: string;
  /** Set when a vendor refused it as already spent: the wallet never offers it again. */
  flag?: 'double-spend';
}

/**
 * Where a payment stands. `released`: the vendor served the request without taking the payment
 * (the URL became free, or its handler failed) and gave the coins it named back.
 */
export type PaymentState = 'pending' | 'paid' | 'refused' | 'released';

/** A coin the vendor refused, and why (a {@link RefusalReason} or the vendor's own word). */
export interface CoinRefusal {
  coinId: string;
  reason: RefusalReason | string;
}

/**
 * A payment too large for a header, sent as the body of a POST to the paid URL instead. For
 * micromint: a MicroMint-1.0 Payment message, `application/x-micromint`.
 */
export interface PaymentBody {
  contentType: string;
  text: string;
}

/**
 * What a `payword` payment revealed: the range j - l + 1 .. j of one chain. The range is the
 * wallet's from the moment this record is written (in the transaction that moved the chain's next
 * index past it) and is never revealed for another request, whatever the vendor answers.
 */
export interface LinkPayment {
  chainId: string;
  /** j: the index of the link revealed. */
  index: number;
  /** l: links paid. */
  units: number;
  /** The method the MAC binds (upper case). */
  method: string;
  /** The payload carries the commitment and its authorization. */
  withCommitment: boolean;
  /**
   * The vendor answered `unknown-chain` and the same payment (same index, link and MAC) was
   * rewritten once to carry the commitment: a second `unknown-chain` closes it.
   */
  resentWithCommitment?: boolean;
}

/**
 * A payment. `header` is the exact PAYMENT-SIGNATURE value (and `body`, when set, the exact POST
 * body the payment travels in instead): a retry after a lost response sends these same bytes
 * again, which the vendor answers as already paid.
 */
export interface PaymentRecord {
  id: string;
  /** The URL navigated to (without fragment). */
  url: string;
  vendorId: string;
  broker: string;
  /** micromint: the epoch of the coins; `''` for other schemes. */
  epoch: string;
  scheme: string;
  /** What the payment costs, in mills (micromint: coins, 1 coin = 1 mill; payword: units * link value). */
  price: number;
  /** Coin ids (hex of the first ball) in payload order; empty for payword. */
  coinIds: string[];
  /** payword: the chain range this payment revealed. */
  link?: LinkPayment;
  header: string;
  /** Set when the header would be too large: the payment goes as this POST body instead. */
  body?: PaymentBody;
  state: PaymentState;
  /** The vendor's reason for the whole payment when refused (e.g. `already-spent`, `wrong-amount`). */
  error?: string;
  reasons: CoinRefusal[];
  /** The vendor's payment id from PAYMENT-RESPONSE. */
  transaction?: string;
  /** How many times the payload went out. */
  attempts: number;
  createdAt: number;
  updatedAt: number;
}

/** A Funds-Withdrawn message already imported: importing it again changes nothing. */
export interface WithdrawalRecord {
  withdrawalId: string;
  broker: string;
  userId: string;
  epoch: string;
  sets: number;
  coins: number;
  importedAt: number;
}

/** What happened to the wallet, newest last: the popup's activity feed and a debugging aid. */
export interface HistoryRecord {
  id?: number;
  at: number;
  kind:
    | 'import'
    | 'spend'
    | 'paid'
    | 'refused'
    | 'released'
    | 'resend'
    | 'return'
    | 'credited'
    | 'return-failed'
    | 'chain-open'
    | 'chain-closed';
  /** Coins gained (+) or taken out (-) of the balance by this event. */
  coins: number;
  detail: string;
  ref?: string;
}

/** Where a return for credit stands. */
export type ReturnState = 'pending' | 'credited' | 'refused';

/** Unspent first balls sent back to the broker in one Request-Credit. */
export interface ReturnRecord {
  id: string;
  epoch: string;
  broker: string;
  userId: string;
  returnUrl: string;
  /** Ball hexes, all role 0, marked `returned` when this record was written. */
  balls: string[];
  state: ReturnState;
  credited?: number;
  creditedMills?: number;
  error?: string;
  /** The broker's `returnsFrom` when it refused the return as too early. */
  returnsFrom?: string;
  createdAt: number;
  updatedAt: number;
}

/** Small named values: the wallet's user id. */
export interface MetaRecord {
  key: 'userId';
  value: string;
}

/**
 * The wallet's Ed25519 key (one per browser profile): it signs requests for chain authorization,
 * and the broker authorizes only chains signed by a key connected to the user's account. Made on
 * first use and never replaced: a new key would have to be connected again.
 */
export interface KeyRecord {
  id: 'wallet';
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  createdAt: number;
}

/** What the broker publishes about chains (`GET /api/payword`), as the wallet keeps it. */
export type PaywordInfoRecord = PaywordInfo;

/**
 * What the wallet knows of one broker for chains, keyed by its URL without a trailing `/`:
 * whose account it pays from and whether the broker's account page listed this wallet's key
 * (the `micromint-wallet` block), and the broker's chain terms, cached.
 */
export interface BrokerRecord {
  broker: string;
  userId?: string;
  /** The account page listed this wallet's key; false after a `wallet_not_connected`. */
  connected: boolean;
  connectedAt?: number;
  info?: PaywordInfoRecord;
  infoAt?: number;
  updatedAt: number;
}

/** Where a chain stands: the wallets' shared `ChainStatus` (`opening`, `open`, `exhausted`, `expired`, `closed`). */
export type { ChainStatus };

/**
 * A PayWord chain the wallet made (docs/protocol.md 12.7): the wallets' shared record
 * (`WalletChain`: its commitment, the broker's authorization, the next index, which only ever
 * grows, in the transaction that writes the payment revealing the links below it), and the secrets
 * it derives from, which a backup carries.
 */
export interface ChainRecord extends WalletChain {
  /** w_n: the secret every link derives from. */
  seed: Uint8Array;
  /** w_0, as committed. */
  root: Uint8Array;
  /** The X25519 secret of the chain key (its public half is the commitment's `walletKey`). */
  chainSecret: Uint8Array;
}

/** How long a budget runs before it starts again: a calendar day or a calendar month (the browser's time zone). */
export type BudgetPeriod = 'day' | 'month';

/**
 * A budget: the most the wallet pays without asking within one period, in mills. Keyed by `site`:
 * a vendor's origin, or `'*'` for the whole wallet (always `month`). Pages at or under the autopay
 * threshold are paid silently only while every budget that covers them holds them.
 */
export interface BudgetRecord {
  /** The site's origin, or `'*'` (the whole wallet). */
  site: string;
  period: BudgetPeriod;
  /** Mills the period may spend without asking. */
  limit: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * What the wallet paid one site on one calendar day, in mills, keyed by [site, day]. Written in the
 * transaction of each payment (and lowered when the vendor gives coins back); kept for about 400
 * days, then pruned.
 */
export interface SpendingRecord {
  /** The site's origin. */
  site: string;
  /** The day, `YYYY-MM-DD` in the browser's time zone. */
  day: string;
  mills: number;
  /** Payments made that day (a payment given back still counts here; its mills do not). */
  payments: number;
  updatedAt: number;
}

/** The newest schema (see db.ts for how each version got here). */
export interface WalletSchema extends DBSchema {
  epochs: { key: string; value: EpochRecord };
  sets: { key: string; value: SetRecord; indexes: { 'by-epoch': string } };
  balls: {
    key: [string, string];
    value: BallRecord;
    indexes: { 'by-set': string; 'by-epoch-role-state': [string, number, BallState]; 'by-payment': string; 'by-return': string };
  };
  payments: {
    key: string;
    value: PaymentRecord;
    indexes: { 'by-created': number; 'by-state': PaymentState; 'by-url': string; 'by-vendor-created': [string, number] };
  };
  withdrawals: { key: string; value: WithdrawalRecord };
  history: { key: number; value: HistoryRecord; indexes: { 'by-at': number } };
  returns: { key: string; value: ReturnRecord; indexes: { 'by-epoch': string } };
  meta: { key: string; value: MetaRecord };
  keys: { key: string; value: KeyRecord };
  brokers: { key: string; value: BrokerRecord };
  chains: { key: string; value: ChainRecord; indexes: { 'by-vendor': string; 'by-status': ChainStatus } };
  budgets: { key: string; value: BudgetRecord };
  spending: { key: [string, string]; value: SpendingRecord; indexes: { 'by-day': string } };
}
