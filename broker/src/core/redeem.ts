/**
 * MMRedeem: vendors hand in the coins they were paid; valid coins are marked spent and paid one mill each.
 * A coin is identified by its epoch and first ball; the first redemption pays, any later one pays nobody
 * and is recorded as a double spend. Invalid coins are set aside with the reason.
 * @module
 */
import { reviewComplaints } from './vendors.ts';
import {
  BALL_BYTES,
  aobject,
  coinBytes,
  coinVerifier,
  fromBase64,
  isExpired,
  toHex,
  type EpochParams,
  type RefusalReason,
} from '@micromint/shared';
import type { VendorRecord } from '../db/vendors.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { safeEqualBytes, sha256 } from './ids.ts';

/** Most coins in one redemption batch. */
export const MAX_BATCH_COINS = 10_000;

/** One coin as a vendor received it. */
export interface RedeemEntry {
  epoch: string;
  userId: string;
  /** Base64 of the k balls. */
  coin: string;
  /** The URL the coin paid for (its origin must be the vendor's). */
  url: string;
  /** When the vendor accepted it (ISO 8601). */
  paidAt: string;
}

/** A redemption request. */
export interface RedeemRequest {
  batchId: string;
  coins: RedeemEntry[];
}

/** The outcome for one coin, in request order. */
export interface RedeemResult {
  coinId: string;
  status: 'credited' | 'refused';
  reason?: RefusalReason;
}

/** The answer to a batch (stored, and replayed for the same batchId). */
export interface RedeemAnswer {
  batchId: string;
  credited: number;
  creditedMills: number;
  results: RedeemResult[];
}

const PRINTABLE = /^[\x21-\x7e]+$/;

function field(o: Record<string, unknown>, name: string, max: number, where: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw new TypeError(`${where}.${name} must be a string`);
  if (v.length === 0 || v.length > max) throw new RangeError(`${where}.${name} must be 1 to ${max} characters`);
  return v;
}

/**
 * Checks the shape of a redemption request body; throws `TypeError`/`RangeError` (a 400) on the first fault.
 * Coin contents are not judged here: a coin that does not decode is refused as `malformed`.
 */
export function readRedeemRequest(body: unknown): RedeemRequest {
  aobject(body, 'body');
  const batchId = field(body, 'batchId', 128, 'body');
  if (!PRINTABLE.test(batchId)) throw new RangeError('body.batchId must be printable ASCII without spaces');
  const coins = body.coins;
  if (!Array.isArray(coins)) throw new TypeError('body.coins must be an array');
  if (coins.length === 0 || coins.length > MAX_BATCH_COINS) throw new RangeError(`body.coins must hold 1 to ${MAX_BATCH_COINS} coins`);
  return {
    batchId,
    coins: coins.map((c: unknown, i) => {
      const where = `coins[${i}]`;
      aobject(c, where);
      const entry: RedeemEntry = {
        epoch: field(c, 'epoch', 64, where),
        userId: field(c, 'userId', 128, where),
        coin: field(c, 'coin', 4096, where),
        url: field(c, 'url', 2048, where),
        paidAt: field(c, 'paidAt', 40, where),
      };
      if (!PRINTABLE.test(entry.userId)) throw new RangeError(`${where}.userId must be printable ASCII`);
      if (Number.isNaN(Date.parse(entry.paidAt))) throw new RangeError(`${where}.paidAt must be an ISO 8601 date`);
      if (!URL.canParse(entry.url)) throw new RangeError(`${where}.url must be an absolute URL`);
      return entry;
    }),
  };
}

type Verdict =
  | { ok: true; p: EpochParams; coinId: string; superbins: number[]; subbins: number[] }
  | { ok: false; coinId: string; reason: RefusalReason };

type EpochCheck = { p: EpochParams; verify: ReturnType<typeof coinVerifier> };

/** Checks one coin against the mint records, without changing anything. */
function judge(ctx: BrokerContext, vendorId: string, e: RedeemEntry, epochs: Map<string, EpochCheck | null>): Verdict {
  const { store } = ctx;
  let bytes: Uint8Array | undefined;
  try {
    bytes = fromBase64(e.coin);
  } catch {
    bytes = undefined;
  }
  const coinId = bytes && bytes.length >= BALL_BYTES ? toHex(bytes.subarray(0, BALL_BYTES)) : '';
  const refuse = (reason: RefusalReason): Verdict => ({ ok: false, coinId, reason });

  let check = epochs.get(e.epoch);
  if (check === undefined) {
    const rec = store.epochs.get(e.epoch);
    check = rec ? { p: rec.params, verify: coinVerifier(rec.params, vendorId) } : null;
    epochs.set(e.epoch, check);
  }
  if (!check) return refuse('unknown-epoch');
  const { p } = check;
  if (!bytes || bytes.length !== coinBytes(p)) return refuse('malformed');
  if (new URL(e.url).origin !== vendorId) return refuse('wrong-vendor');
  if (isExpired(p, Date.parse(e.paidAt))) return refuse('expired');
  // k hashes: fixed bits, the user's superbin steps, this vendor's sub-bin steps, no repeated ball.
  const c = check.verify(bytes, e.userId);
  if (!c.ok) return refuse(c.reason);
  // Exact forgery detection: each ball must be the very ball minted into its slot.
  for (let i = 0; i < p.k; i++) {
    const minted = store.epochs.ballAt(p.id, c.superbins[i]!, c.subbins[i]!);
    const ball = bytes.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES);
    if (!minted || !safeEqualBytes(minted.x, ball) || minted.status === 'compromised') return refuse('forged');
  }
  const owner = store.sets.superbinOwner(p.id, c.superbins[0]!);
  if (!owner || owner.position !== 0 || owner.userId !== e.userId) return refuse('not-sold');
  return { ok: true, p, coinId, superbins: c.superbins, subbins: c.subbins };
}

/**
 * Redeems a batch for `vendor` in one transaction and stores the answer; the same batchId with the same
 * coins returns the stored answer (a retry after a lost response, also once the vendor is disabled), with
 * different coins it is a 409. A disabled vendor's new batches are a 403.
 * @example
 * const answer = redeemBatch(ctx, vendor, readRedeemRequest(req.body));
 * answer.results[0]; // { coinId: '…', status: 'credited' }
 */
export function redeemBatch(ctx: BrokerContext, vendor: VendorRecord, req: RedeemRequest): RedeemAnswer {
  const { store } = ctx;
  const digest = sha256(JSON.stringify([req.batchId, req.coins.map((c) => [c.epoch, c.userId, c.coin, c.url, c.paidAt])]));
  return store.transaction(() => {
    const current = store.vendors.byId(vendor.id);
    if (!current) throw new BrokerError(401, 'unauthorized', 'unknown vendor');
    const prior = store.vendors.batch(vendor.id, req.batchId);
    // A retry is answered even for a vendor disabled since: it changes nothing, and without it the vendor
    // could never learn which coins of a batch whose response it lost were credited.
    if (prior && safeEqualBytes(prior.requestDigest, digest)) return JSON.parse(prior.answer) as RedeemAnswer;
    if (current.disabled) throw new BrokerError(403, 'vendor_disabled', `vendor ${vendor.id} is disabled: ${current.disabledReason ?? ''}`);
    if (prior) throw new BrokerError(409, 'batch_mismatch', `batch ${req.batchId} was redeemed before with other coins`);
    const at = ctx.now().toISOString();
    const epochs = new Map<string, EpochCheck | null>();
    const results: RedeemResult[] = [];
    let credited = 0;
    const refused = (e: RedeemEntry, coinId: string, reason: RefusalReason): void => {
      store.vendors.insertRejected({
        vendorId: vendor.id, batchId: req.batchId, epoch: e.epoch, userId: e.userId, coinId: coinId || null,
        coin: e.coin, url: e.url, reason, createdAt: at,
      });
      results.push({ coinId, status: 'refused', reason });
    };
    for (const e of req.coins) {
      const v = judge(ctx, vendor.id, e, epochs);
      if (!v.ok) {
        refused(e, v.coinId, v.reason);
        continue;
      }
      const first = store.epochs.ballAt(v.p.id, v.superbins[0]!, v.subbins[0]!)!;
      if (first.status === 'sold') {
        store.epochs.setStatus(v.p.id, v.superbins[0]!, v.subbins[0]!, 'redeemed');
        store.vendors.insertRedeemed({
          epoch: v.p.id, coinId: v.coinId, userId: e.userId, vendorId: vendor.id, batchId: req.batchId,
          url: e.url, paidAt: e.paidAt, redeemedAt: at,
        });
        results.push({ coinId: v.coinId, status: 'credited' });
        credited++;
      } else if (first.status === 'redeemed' || first.status === 'returned') {
        // A double spend: nobody is paid again; who was paid first is kept for follow-up.
        const reason = first.status === 'redeemed' ? 'already-spent' : 'returned';
        store.vendors.insertDoubleSpend({
          epoch: v.p.id, coinId: v.coinId, userId: e.userId, vendorId: vendor.id,
          firstVendorId: store.vendors.redeemedBy(v.p.id, v.coinId) ?? null, batchId: req.batchId, reason, createdAt: at,
        });
        refused(e, v.coinId, reason);
      } else {
        refused(e, v.coinId, first.status === 'compromised' ? 'forged' : 'not-sold');
      }
    }
    if (credited > 0)
      store.accounts.post('vendor', vendor.id, credited, 'redemption', req.batchId, `Redeemed ${credited} coin(s), batch ${req.batchId}`, at);
    const answer: RedeemAnswer = { batchId: req.batchId, credited, creditedMills: credited, results };
    store.vendors.insertBatch(vendor.id, req.batchId, digest, JSON.stringify(answer), credited, results.length - credited, at);
    // New customers of this vendor may turn earlier complaints into a majority that disables it.
    if (credited > 0) reviewComplaints(ctx, vendor.id, at);
    return answer;
  });
}
