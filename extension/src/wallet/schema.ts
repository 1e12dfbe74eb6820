/**
 * The wallet's IndexedDB records and the typed schema `idb` checks them against.
 * The database only ever grows through the migrations in db.ts; this file describes the newest version.
 * @module
 */
import type { DBSchema } from 'idb';
import type { EpochParamsJson, RefusalReason } from '@micromint/shared';

/** A ball's life: unspent, spent in a payment, or returned to the broker for credit. */
export type BallState = 'unspent' | 'spent' | 'returned';

/** An epoch whose sets the wallet holds. */
export interface EpochRecord {
  id: string;
  params: EpochParamsJson;
  /** The broker that sold the sets (Funds-Withdrawn `Broker`). */
  broker: string;
  addedAt: number;
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

/** Where a payment stands. */
export type PaymentState = 'pending' | 'paid' | 'refused';

/** A coin the vendor refused, and why (a {@link RefusalReason} or the vendor's own word). */
export interface CoinRefusal {
  coinId: string;
  reason: RefusalReason | string;
}

/**
 * A payment. `header` is the exact PAYMENT-SIGNATURE value: a retry after a lost response sends
 * these same bytes again, which the vendor answers as already paid.
 */
export interface PaymentRecord {
  id: string;
  /** The URL navigated to (without fragment). */
  url: string;
  vendorId: string;
  broker: string;
  epoch: string;
  scheme: string;
  price: number;
  /** Coin ids (hex of the first ball) in payload order. */
  coinIds: string[];
  header: string;
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
  kind: 'import' | 'spend' | 'paid' | 'refused' | 'resend' | 'return' | 'credited' | 'return-failed';
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
  createdAt: number;
  updatedAt: number;
}

/** Small named values: the wallet's user id. */
export interface MetaRecord {
  key: 'userId';
  value: string;
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
  payments: { key: string; value: PaymentRecord; indexes: { 'by-created': number; 'by-state': PaymentState; 'by-url': string } };
  withdrawals: { key: string; value: WithdrawalRecord };
  history: { key: number; value: HistoryRecord; indexes: { 'by-at': number } };
  returns: { key: string; value: ReturnRecord; indexes: { 'by-epoch': string } };
  meta: { key: string; value: MetaRecord };
}
