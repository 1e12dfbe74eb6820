/**
 * Epoch parameters: everything a wallet, vendor and broker must agree on to hash balls into bins.
 * @module
 */
import { aint, aobject, astring, abytes } from './assert.ts';
import { fromHex, toHex } from './bytes.ts';

/** Bytes in a ball (the hash input x). 16 bytes keep the whole preimage in one SHA-256 block. */
export const BALL_BYTES = 16;
/** Bytes in an epoch key K_e. */
export const EPOCH_KEY_BYTES = 32;

/**
 * One minting epoch. A ball x hashes to n = t + u + v bits:
 * `[ t fixed bits | u superbin bits | v sub-bin bits ]`.
 */
export interface EpochParams {
  /** Epoch name, e.g. `2026-11`. Letters, digits, `.`, `_` and `-`. */
  id: string;
  /** K_e: 32 random bytes the broker publishes when the epoch starts. */
  key: Uint8Array;
  /** Fixed bits that make a hash count as a ball (1..24). */
  t: number;
  /** Superbin bits (2..24): 2^u superbins, the user-specific part. */
  u: number;
  /** Sub-bin bits (3..16): 2^v sub-bins per superbin, the vendor-specific part. */
  v: number;
  /** Balls in a coin, which is also superbins in a set (2..8). */
  k: number;
  /** The t-bit pattern the top bits of a ball's hash must equal. */
  fixed: number;
  /** When coins of this epoch stop being accepted by vendors (ISO 8601). */
  expiresAt: string;
  /**
   * Broker policy, announced in the epoch JSON (absent from messages and from older brokers): coins paid
   * before `expiresAt` are redeemable until this moment (ISO 8601, at or after `expiresAt`).
   */
  redeemBy?: string;
  /**
   * Broker policy, announced in the epoch JSON: Request-Credit returns are accepted from this moment on
   * (ISO 8601, at or after `redeemBy`), so a coin a vendor took in time is never refunded to its payer.
   */
  returnsFrom?: string;
}

/** The JSON form of {@link EpochParams}, with the key as hex. */
export interface EpochParamsJson extends Omit<EpochParams, 'key'> {
  key: string;
}

const EPOCH_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks an optional ISO 8601 moment that must not come before `notBefore` (also ISO 8601). */
function optionalMoment(value: unknown, name: string, notBefore: string, what: string): void {
  if (value === undefined) return;
  astring(value, name, 40);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new RangeError(`${name} must be an ISO 8601 date`);
  if (t < Date.parse(notBefore)) throw new RangeError(`${name} must not be before ${what}`);
}

/**
 * Checks an epoch's parameters, throwing `TypeError`/`RangeError` on the first that is wrong.
 * @example
 * validateParams({ ...DEMO_SHAPE, id: '2026-11', key: new Uint8Array(32), fixed: 0, expiresAt: '2026-12-01T00:00:00Z' });
 */
export function validateParams(p: EpochParams): EpochParams {
  aobject(p, 'epoch');
  astring(p.id, 'epoch.id', 64, EPOCH_ID);
  abytes(p.key, EPOCH_KEY_BYTES, 'epoch.key');
  aint(p.t, 1, 24, 'epoch.t');
  aint(p.u, 2, 24, 'epoch.u');
  aint(p.v, 3, 16, 'epoch.v');
  aint(p.k, 2, 8, 'epoch.k');
  aint(p.fixed, 0, 2 ** p.t - 1, 'epoch.fixed');
  astring(p.expiresAt, 'epoch.expiresAt', 40);
  if (Number.isNaN(Date.parse(p.expiresAt))) throw new RangeError('epoch.expiresAt must be an ISO 8601 date');
  // A broker announcing returns before its redemption period ends would refund coins vendors took in time.
  optionalMoment(p.redeemBy, 'epoch.redeemBy', p.expiresAt, 'epoch.expiresAt');
  optionalMoment(p.returnsFrom, 'epoch.returnsFrom', p.redeemBy ?? p.expiresAt, p.redeemBy ? 'epoch.redeemBy' : 'epoch.expiresAt');
  // A set needs k distinct superbins and k distinct sub-bin steps (see offsets.ts).
  if (2 ** p.u < p.k || 2 ** p.v < p.k) throw new RangeError('epoch.u and epoch.v must each give at least k bins');
  return p;
}

/** JSON form of an epoch (key in hex); `redeemBy` and `returnsFrom` only when the epoch carries them. */
export function epochToJson(p: EpochParams): EpochParamsJson {
  return {
    id: p.id,
    key: toHex(p.key),
    t: p.t,
    u: p.u,
    v: p.v,
    k: p.k,
    fixed: p.fixed,
    expiresAt: p.expiresAt,
    ...(p.redeemBy !== undefined ? { redeemBy: p.redeemBy } : {}),
    ...(p.returnsFrom !== undefined ? { returnsFrom: p.returnsFrom } : {}),
  };
}

/**
 * Parses and validates the JSON form of an epoch. `redeemBy` and `returnsFrom` are optional (older
 * brokers do not send them); when present they must be dates in order: expiresAt <= redeemBy <= returnsFrom.
 */
export function epochFromJson(json: unknown): EpochParams {
  aobject(json, 'epoch');
  astring(json.key, 'epoch.key', EPOCH_KEY_BYTES * 2, /^[0-9a-f]+$/);
  return validateParams({
    id: json.id as string,
    key: fromHex(json.key),
    t: json.t as number,
    u: json.u as number,
    v: json.v as number,
    k: json.k as number,
    fixed: json.fixed as number,
    expiresAt: json.expiresAt as string,
    ...(json.redeemBy !== undefined ? { redeemBy: json.redeemBy as string } : {}),
    ...(json.returnsFrom !== undefined ? { returnsFrom: json.returnsFrom as string } : {}),
  });
}

/** True once the epoch has expired at time `now` (ms since 1970). */
export const isExpired = (p: EpochParams, now = Date.now()): boolean => now >= Date.parse(p.expiresAt);

/** The parameter shapes the project ships: see docs/protocol.md for their arithmetic. */
export const PARAMETER_SETS = {
  /** Mints in well under a minute on 2 cores: about 3.9e7 hashes, 43,000 coins. A toy against forgers. */
  demo: { t: 6, u: 10, v: 8, k: 4 },
  /** Mints in about a second: for tests. */
  test: { t: 4, u: 8, v: 6, k: 4 },
  /** GPU-farm scale for the broker (2^51 hashes): about 2.8e9 coins. */
  production: { t: 16, u: 22, v: 12, k: 4 },
} as const;
