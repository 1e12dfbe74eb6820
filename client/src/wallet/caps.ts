/**
 * Spending caps: the most one request may cost, the most paid to one host in 24 hours, and the
 * most paid in all in 24 hours. Usage is read from the payments themselves (what each still
 * holds), inside the same transaction that spends, so 50 parallel calls or two processes on one
 * wallet cannot pass a cap together.
 * @module
 */
import { aint, aobject } from '@micromint/shared';
import { CapExceededError } from '../errors.ts';
import type { WalletDb } from './db.ts';

/** The window of the daily caps: the last 24 hours. */
export const CAP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Largest cap accepted, in mills ($1,000,000). */
export const MAX_CAP_MILLS = 1_000_000_000;

/** Spending caps, in mills (1 mill = $0.001). A cap left out is not applied. */
export interface Caps {
  /** The most one request may cost. */
  perRequest?: number;
  /** The most paid to one host (`name:port`) in the last 24 hours. */
  perHostPerDay?: number;
  /** The most paid in all in the last 24 hours. */
  perDay?: number;
}

/** The caps a wallet applies when none are given: 5¢ a request, $1 a host a day, $5 a day. */
export const DEFAULT_CAPS: Readonly<Required<Caps>> = Object.freeze({ perRequest: 50, perHostPerDay: 1000, perDay: 5000 });

/**
 * Checks caps eagerly: each a whole number of mills from 0 to {@link MAX_CAP_MILLS}.
 * @throws TypeError / RangeError naming the cap.
 */
export function validateCaps(caps: unknown, name = 'caps'): Caps {
  aobject(caps, name);
  const out: Caps = {};
  for (const key of ['perRequest', 'perHostPerDay', 'perDay'] as const) {
    const v = caps[key];
    if (v === undefined) continue;
    aint(v, 0, MAX_CAP_MILLS, `${name}.${key}`);
    out[key] = v;
  }
  return out;
}

/** Mills the payments made since `since` still hold, at `host` or everywhere. */
export function spentSince(db: WalletDb, since: number, host?: string): number {
  const row = (
    host === undefined
      ? db.prepare('SELECT coalesce(sum(spent), 0) AS n FROM payments WHERE created_at >= ?').get(since)
      : db.prepare('SELECT coalesce(sum(spent), 0) AS n FROM payments WHERE host = ? AND created_at >= ?').get(host, since)
  ) as { n: number };
  return row.n;
}

/** The per-request cap alone (no database read): what a price is checked against before anything else. */
export function checkRequestCap(caps: Caps, mills: number): void {
  if (caps.perRequest !== undefined && mills > caps.perRequest) throw new CapExceededError('per-request', mills, caps.perRequest, 0);
}

/**
 * Throws {@link CapExceededError} when paying `mills` to `host` now would break a cap. Call it
 * inside the transaction that spends.
 */
export function checkCaps(db: WalletDb, caps: Caps, o: { host: string; mills: number; now: number }): void {
  checkRequestCap(caps, o.mills);
  const since = o.now - CAP_WINDOW_MS;
  if (caps.perHostPerDay !== undefined) {
    const spent = spentSince(db, since, o.host);
    if (spent + o.mills > caps.perHostPerDay) throw new CapExceededError('per-host-per-day', o.mills, caps.perHostPerDay, spent, o.host);
  }
  if (caps.perDay !== undefined) {
    const spent = spentSince(db, since);
    if (spent + o.mills > caps.perDay) throw new CapExceededError('per-day', o.mills, caps.perDay, spent);
  }
}
