/**
 * MMVendorRedeem: sending the coins a vendor collected, and the chains it was paid with, to the
 * broker for credit, in the same batches. Each batch gets an id that is stored (with the index and
 * link of each chain in it) before the batch is sent; if the answer is lost, the next run sends
 * the same batch with the same id and the broker answers with what it stored the first time, so
 * no coin is credited twice and none is dropped. A chain is paid only above what the broker
 * cleared before, so a chain whose highest index grew since is cleared again for the difference.
 * @module
 */
import { astring, CHAIN_ID_PATTERN, toBase64 } from '@micromint/shared';
import { RedeemError } from './errors.ts';
import type { BrokerChainResult, BrokerCoinResult, BrokerRedeemResponse, RedemptionBatch, UnclearedChain, VendorStore } from './store.ts';

/** Options of {@link redeemPending}. */
export interface RedeemOptions {
  store: VendorStore;
  /** Broker base URL, e.g. `http://127.0.0.1:4000`. */
  broker: string;
  /** The vendor's API key from `POST /api/vendors`. */
  apiKey: string;
  /** Most coins per batch (default 500; the broker takes bodies up to 5 MB). */
  batchSize?: number;
  /** Most batches in one run (default: until nothing is pending). */
  maxBatches?: number;
  /** Milliseconds to wait for the broker's answer to one batch (default 30000). */
  timeoutMs?: number;
}

/** One batch as answered. */
export interface RedeemedBatch {
  batchId: string;
  /** True when this batch was sent before and its answer had been lost. */
  retry: boolean;
  sent: number;
  credited: number;
  creditedMills: number;
  results: (BrokerCoinResult & { url?: string })[];
  /** Chains sent in the batch. */
  chainsSent: number;
  /** The broker's answer for each chain, in request order (empty when it answered none). */
  chains: BrokerChainResult[];
}

/** What a redemption run did. */
export interface RedeemReport {
  batches: RedeemedBatch[];
  /** Coins credited in this run. */
  credited: number;
  creditedMills: number;
  /** Coins the broker refused in this run, with the reason. */
  refused: { coinId: string; reason: string }[];
  /** Every chain answered in this run. */
  chains: BrokerChainResult[];
  /** Mills the chains were paid in this run. */
  chainMills: number;
}

/**
 * Sends pending coins to `POST ${broker}/api/redeem` until none is left (or `maxBatches`).
 * Throws {@link RedeemError} when the broker cannot be reached or answers with an error: batches
 * answered before stay recorded; the failed batch keeps its id and coins for the next run.
 * @example
 * const report = await redeemPending({ store, broker: 'http://127.0.0.1:4000', apiKey });
 * console.log(`${report.credited} coins credited`);
 */
export async function redeemPending(o: RedeemOptions): Promise<RedeemReport> {
  const broker = o.broker.replace(/\/+$/, '');
  astring(broker, 'broker', 2048, /^https?:\/\//);
  astring(o.apiKey, 'apiKey', 4096);
  const batchSize = o.batchSize ?? 500;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new RangeError('batchSize must be an integer from 1 to 10000');
  const maxBatches = o.maxBatches ?? Infinity;
  const report: RedeemReport = { batches: [], credited: 0, creditedMills: 0, refused: [], chains: [], chainMills: 0 };
  const seen = new Set<string>();
  const sentChains = new Set<string>();
  while (report.batches.length < maxBatches) {
    const batch = await o.store.unredeemed(batchSize);
    if (!batch) break;
    // A batch coming back means the broker left its coins unanswered: stop rather than loop.
    if (seen.has(batch.batchId)) break;
    // So does a new batch of nothing but chains this run sent at the same index already (a broker
    // that answered them without clearing them): they wait for the next run.
    if (batch.coins.length === 0 && !batch.retry && batch.chains.every((c) => sentChains.has(`${c.chainId} ${c.index}`))) break;
    seen.add(batch.batchId);
    for (const c of batch.chains) sentChains.add(`${c.chainId} ${c.index}`);
    const response = await sendBatch(broker, o.apiKey, batch, o.timeoutMs ?? 30_000, o.store);
    await o.store.markRedeemed({ batchId: batch.batchId, answeredAt: new Date().toISOString(), response });
    const urls = new Map(batch.coins.map((c) => [c.coinId, c.url]));
    const chains = response.chains ?? [];
    const done: RedeemedBatch = {
      batchId: batch.batchId,
      retry: batch.retry,
      sent: batch.coins.length,
      credited: response.credited,
      creditedMills: response.creditedMills,
      results: response.results.map((r) => ({ ...r, ...(urls.has(r.coinId) ? { url: urls.get(r.coinId)! } : {}) })),
      chainsSent: batch.chains.length,
      chains,
    };
    report.batches.push(done);
    report.credited += response.credited;
    report.creditedMills += response.creditedMills;
    for (const r of response.results) if (r.status === 'refused') report.refused.push({ coinId: r.coinId, reason: r.reason ?? 'refused' });
    report.chains.push(...chains);
    report.chainMills += chains.reduce((sum, c) => sum + c.paidMills, 0);
    // A broker that answered no chain would be sent the same chains again in the next batch: they
    // stay due for the next run instead.
    if (batch.chains.length > 0 && !response.chains) break;
  }
  return report;
}

async function sendBatch(
  broker: string,
  apiKey: string,
  batch: RedemptionBatch,
  timeoutMs: number,
  store: VendorStore,
): Promise<BrokerRedeemResponse> {
  const url = `${broker}/api/redeem`;
  const chains = batch.chains.length ? `, ${batch.chains.length} chains` : '';
  const keep = `batch ${batch.batchId} (${batch.coins.length} coins${chains}) stays pending and will be sent again with the same id`;
  const body = JSON.stringify({
    batchId: batch.batchId,
    coins: batch.coins.map((c) => ({ epoch: c.epoch, userId: c.userId, coin: toBase64(c.coin), url: c.url, paidAt: c.paidAt })),
    ...(batch.chains.length
      ? { chains: batch.chains.map((c) => ({ commitment: toBase64(c.commitment), index: c.index, link: toBase64(c.link) })) }
      : {}),
  });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new RedeemError(`cannot reach the broker at ${url} (${cause}): ${keep}`, batch.batchId, { cause: e });
  }
  const text = await res.text().catch(() => '');
  if (res.status === 400 || res.status === 413 || res.status === 422) {
    // The broker rejected the batch as a whole and stored nothing: free its coins (and chains) for smaller batches.
    await store.markRedeemed({
      batchId: batch.batchId,
      answeredAt: new Date().toISOString(),
      failed: `${res.status} ${text.slice(0, 500)}`,
    });
    throw new RedeemError(
      `the broker refused batch ${batch.batchId} as a whole (${res.status}: ${text.slice(0, 200)}); its coins are pending again${
        res.status === 413 ? ', use a smaller batchSize' : ''
      }`,
      batch.batchId,
    );
  }
  if (res.status === 403) {
    const disabled = vendorDisabled(text);
    if (disabled)
      throw new RedeemError(
        `the broker has disabled this vendor (${disabled.reason}); ${disabled.message} See ${disabled.dashboard}. ${keep}`,
        batch.batchId,
      );
  }
  if (res.status === 401 || res.status === 403)
    throw new RedeemError(`the broker did not accept the API key (${res.status}): ${keep}`, batch.batchId);
  if (!res.ok) throw new RedeemError(`the broker answered ${res.status} ${text.slice(0, 200)}: ${keep}`, batch.batchId);
  let answer: BrokerRedeemResponse;
  try {
    answer = parseRedeemResponse(
      JSON.parse(text),
      batch.batchId,
      batch.coins.map((c) => c.coinId),
      batch.chains.map((c) => c.chainId),
    );
  } catch (e) {
    throw new RedeemError(`the broker's answer to batch ${batch.batchId} is not valid (${(e as Error).message}): ${keep}`, batch.batchId, {
      cause: e,
    });
  }
  return answer;
}

/** The broker's `vendor_disabled` answer (403), which is not an authentication failure; undefined for any other body. */
function vendorDisabled(text: string): { reason: string; message: string; dashboard: string } | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (body.error !== 'vendor_disabled') return undefined;
    const str = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v.slice(0, 500) : fallback);
    return {
      reason: str(body.reason, 'no reason given'),
      message: str(body.message, ''),
      dashboard: str(body.dashboard, "the broker's vendor dashboard"),
    };
  } catch {
    return undefined;
  }
}

/**
 * Checks the broker's answer against the contract. With `coinIds` (the batch as sent), the
 * results must answer each of those coins exactly once and no other: an answer that leaves coins
 * out is not one the coins can be closed on (they would go out again in a new batch, where a
 * broker that did redeem them sees double spends, and a broker that keeps leaving them out is
 * asked again for ever), so it fails like a lost answer and the batch is resent under its id.
 * With `chainIds`, a `chains` member must answer those chains in request order; an answer with
 * no `chains` at all leaves them due (clearing a chain again never pays a unit twice).
 */
export function parseRedeemResponse(
  json: unknown,
  batchId: string,
  coinIds?: readonly string[],
  chainIds: readonly string[] = [],
): BrokerRedeemResponse {
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) throw new TypeError('answer is not an object');
  if (o.batchId !== batchId) throw new RangeError(`answer is for batch ${String(o.batchId)}`);
  if (!Number.isSafeInteger(o.credited) || !Number.isSafeInteger(o.creditedMills))
    throw new TypeError('credited and creditedMills must be integers');
  if (!Array.isArray(o.results)) throw new TypeError('results must be an array');
  const results: BrokerCoinResult[] = o.results.map((r: unknown, i) => {
    const x = r as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || typeof x.coinId !== 'string' || (x.status !== 'credited' && x.status !== 'refused'))
      throw new TypeError(`results[${i}] must have coinId and status credited|refused`);
    return {
      coinId: x.coinId,
      status: x.status,
      ...(x.status === 'refused' ? { reason: typeof x.reason === 'string' ? x.reason : 'refused' } : {}),
    };
  });
  if (coinIds) {
    const unanswered = new Map<string, number>();
    for (const id of coinIds) unanswered.set(id, (unanswered.get(id) ?? 0) + 1);
    for (const r of results) {
      const left = unanswered.get(r.coinId);
      if (!left) throw new RangeError(`results name coin ${r.coinId.slice(0, 64)}, which is not in the batch or is answered twice`);
      unanswered.set(r.coinId, left - 1);
    }
    if (results.length !== coinIds.length) throw new RangeError(`results answer ${results.length} of the batch's ${coinIds.length} coins`);
  }
  const chains = o.chains === undefined ? undefined : parseChainResults(o.chains, chainIds);
  return { batchId, credited: o.credited as number, creditedMills: o.creditedMills as number, results, ...(chains ? { chains } : {}) };
}

/** The `chains` of an answer: one result per chain sent, in request order. */
function parseChainResults(value: unknown, chainIds: readonly string[]): BrokerChainResult[] {
  if (!Array.isArray(value)) throw new TypeError('chains must be an array');
  if (value.length !== chainIds.length) throw new RangeError(`chains answer ${value.length} of the batch's ${chainIds.length} chains`);
  return value.map((r: unknown, i): BrokerChainResult => {
    const x = r as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || typeof x.chainId !== 'string' || !CHAIN_ID_PATTERN.test(x.chainId))
      throw new TypeError(`chains[${i}] must have a chainId`);
    if (x.chainId !== chainIds[i])
      throw new RangeError(`chains[${i}] answers chain ${x.chainId}, not ${chainIds[i]} (the request's order)`);
    if (x.status !== 'cleared' && x.status !== 'refused') throw new TypeError(`chains[${i}].status must be cleared or refused`);
    for (const f of ['clearedIndex', 'paidUnits', 'paidMills'] as const)
      if (!Number.isSafeInteger(x[f]) || (x[f] as number) < 0) throw new TypeError(`chains[${i}].${f} must be a whole number`);
    const reason = typeof x.reason === 'string' ? x.reason.slice(0, 64) : x.status === 'refused' ? 'refused' : undefined;
    return {
      chainId: x.chainId,
      status: x.status,
      ...(reason ? { reason } : {}),
      clearedIndex: x.clearedIndex as number,
      paidUnits: x.paidUnits as number,
      paidMills: x.paidMills as number,
    };
  });
}

/** How long before an epoch's `redeemBy` its pending coins are warned about: 48 hours. */
export const REDEEM_WARNING_SECONDS = 48 * 3600;

/** Pending coins of an epoch whose `redeemBy` is near, or past. */
export interface RedeemDeadline {
  epoch: string;
  /** Coins of the epoch not yet answered by the broker. */
  pending: number;
  /** ISO 8601: the broker takes the epoch's coins until then. */
  redeemBy: string;
  /** Seconds left until `redeemBy` (negative once past). */
  secondsLeft: number;
}

/**
 * The epochs whose pending coins must reach the broker within `warnSeconds` (or should have):
 * `pending` from `VendorStore.pendingByEpoch`, `epochs` with the `redeemBy` their broker gave.
 * @example
 * redeemDeadlines([{ epoch: 'e1', pending: 3 }], [{ id: 'e1', redeemBy: '2026-12-08T00:00:00Z' }], Date.now());
 */
export function redeemDeadlines(
  pending: readonly { epoch: string; pending: number }[],
  epochs: readonly { id: string; redeemBy?: string }[],
  now: number,
  warnSeconds = REDEEM_WARNING_SECONDS,
): RedeemDeadline[] {
  const by = new Map(epochs.filter((e) => e.redeemBy !== undefined).map((e) => [e.id, e.redeemBy!]));
  const out: RedeemDeadline[] = [];
  for (const p of pending) {
    const redeemBy = by.get(p.epoch);
    const at = redeemBy === undefined ? NaN : Date.parse(redeemBy);
    if (p.pending < 1 || !Number.isFinite(at)) continue;
    const secondsLeft = Math.floor((at - now) / 1000);
    if (secondsLeft <= warnSeconds) out.push({ epoch: p.epoch, pending: p.pending, redeemBy: redeemBy!, secondsLeft });
  }
  return out;
}

/** A warning line for a deadline, for the log or the CLI. */
export function deadlineWarning(d: RedeemDeadline): string {
  const coins = d.pending === 1 ? '1 coin' : `${d.pending} coins`;
  if (d.secondsLeft <= 0) return `micromint: ${coins} of epoch ${d.epoch} were not redeemed by ${d.redeemBy}: the broker may refuse them`;
  const left = d.secondsLeft >= 3600 ? `${Math.floor(d.secondsLeft / 3600)} h` : `${Math.max(1, Math.floor(d.secondsLeft / 60))} min`;
  return `micromint: ${coins} of epoch ${d.epoch} are not redeemed yet and must reach the broker by ${d.redeemBy} (in ${left}): redeem them before then`;
}

/** A chain with units not cleared yet whose clearing deadline (expiresAt + clearGraceSeconds) is near, or past. */
export interface ChainDeadline {
  chainId: string;
  /** Units paid at the vendor and not cleared at the broker yet. */
  units: number;
  /** Their value in mills. */
  mills: number;
  /** ISO 8601: the broker clears the chain until then (from the broker's terms; the chain's expiry when they are unknown). */
  clearBy: string;
  /** Seconds left until `clearBy` (negative once past). */
  secondsLeft: number;
}

/**
 * The chains whose uncleared units must reach the broker within `warnSeconds` (or should have):
 * `chains` from `VendorStore.unclearedChains`, `clearGraceSeconds` from the broker's payword terms
 * (when unknown, the chain's own expiry is the deadline: the safe side).
 * @example
 * chainDeadlines([{ chainId, expiresAt, highestIndex: 9, clearedIndex: 4, value: 1 }], 86_400, Date.now());
 */
export function chainDeadlines(
  chains: readonly UnclearedChain[],
  clearGraceSeconds: number | undefined,
  now: number,
  warnSeconds = REDEEM_WARNING_SECONDS,
): ChainDeadline[] {
  const out: ChainDeadline[] = [];
  for (const c of chains) {
    const units = c.highestIndex - c.clearedIndex;
    if (units < 1) continue;
    const at = (c.expiresAt + (clearGraceSeconds ?? 0)) * 1000;
    const secondsLeft = Math.floor((at - now) / 1000);
    if (secondsLeft <= warnSeconds)
      out.push({ chainId: c.chainId, units, mills: units * c.value, clearBy: new Date(at).toISOString(), secondsLeft });
  }
  return out;
}

/** A warning line for a chain's clearing deadline, for the log or the CLI. */
export function chainDeadlineWarning(d: ChainDeadline): string {
  const units = d.units === 1 ? '1 unit' : `${d.units} units`;
  if (d.secondsLeft <= 0)
    return `micromint: ${units} (${d.mills} mills) of chain ${d.chainId} were not cleared by ${d.clearBy}: the broker may refuse them`;
  const left = d.secondsLeft >= 3600 ? `${Math.floor(d.secondsLeft / 3600)} h` : `${Math.max(1, Math.floor(d.secondsLeft / 60))} min`;
  return `micromint: ${units} (${d.mills} mills) of chain ${d.chainId} are not cleared yet and must reach the broker by ${d.clearBy} (in ${left}): redeem before then`;
}
