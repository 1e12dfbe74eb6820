/**
 * CoinMint: tosses balls into the 2^(u+v) slots of an epoch on every core and stores the result.
 * Ball x_c of counter c comes from a secret seed (see `balls.ts`); each thread hashes a contiguous counter range,
 * and the smallest counter that reached a slot wins it, so the result depends on (key, seed, budget) only.
 * The same rule ({@link smallestCounters}) merges the ranges of a minting farm (`farm-coordinator.ts`), whose
 * balls are stored by the same {@link storeMinted}.
 * @module
 */
import { randomBytes, randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { BALL_BYTES, EPOCH_KEY_BYTES, abytes, aint, aobject, slotOfBall, validateParams, type EpochParams } from '@micromint/shared';
import type { EpochRecord } from '../db/epochs.ts';
import type { Store } from '../db/store.ts';
import { SEED_BYTES, ballsOfCounters } from './balls.ts';
import { resolveKernel, type MintKernel } from './native.ts';
import type { DoneMessage } from './protocol.ts';
import { runInWorker } from './spawn.ts';
import { estimateCoins, hashBudget, type CoinEstimate, type Shape } from './stats.ts';

/** Largest u + v this minter holds in memory (2^24 slots), on one machine or a farm's coordinator alike. */
export const MAX_SLOT_BITS = 24;

/** Progress of a minting run. */
export interface MintProgress {
  hashes: number;
  total: number;
}

/** Balls found by {@link mintBalls}: `slots[i]` holds ball `xs[16i..16i+16)`, slots in increasing order. */
export interface MintedBalls {
  slots: Uint32Array;
  xs: Uint8Array;
  hashes: number;
  ballsCounted: number;
  ms: number;
  workers: number;
  /** The hashing loop that ran. */
  kernel: MintKernel;
}

/** Options of {@link mintBalls}. */
export interface MintBallsOptions {
  params: Shape & { fixed: number };
  key: Uint8Array;
  /** Secret ball seed (16 bytes, see `balls.ts`); default random. Give one only to reproduce a run. */
  seed?: Uint8Array;
  /** Counters to hash: 0 .. hashes-1. */
  hashes: number;
  workers?: number;
  onProgress?: (p: MintProgress) => void;
  /** Hashing loop; default native when built (see `native.ts`). Both give the same balls. */
  kernel?: MintKernel;
}

/** Checks the shape of an epoch to mint: t, u, v, k and the fixed bits in range, u + v at most {@link MAX_SLOT_BITS}. */
export function assertMintShape(p: Shape & { fixed: number }): void {
  aobject(p, 'params');
  aint(p.t, 1, 24, 'params.t');
  aint(p.u, 2, 24, 'params.u');
  aint(p.v, 3, 16, 'params.v');
  aint(p.k, 2, 8, 'params.k');
  aint(p.fixed, 0, 2 ** p.t - 1, 'params.fixed');
  if (p.u + p.v > MAX_SLOT_BITS) throw new RangeError(`u + v = ${p.u + p.v} is more than this minter holds in memory (${MAX_SLOT_BITS})`);
}

/** The slots a counter range reached, each with the smallest counter of the range that reached it. */
export interface RangeWinners {
  slots: ArrayLike<number>;
  counters: ArrayLike<number>;
}

/**
 * The spec's rule over any number of ranges, in any order, even a range given twice: each slot goes to the
 * smallest counter that reached it. Returns the slots in increasing order with their counters.
 * @example
 * smallestCounters([{ slots: [5, 2], counters: [9, 12] }, { slots: [5], counters: [3] }], 3);
 * // { slots: [2, 5], counters: [12, 3] }
 */
export function smallestCounters(ranges: Iterable<RangeWinners>, slotBits: number): { slots: Uint32Array; counters: Float64Array } {
  aint(slotBits, 1, MAX_SLOT_BITS, 'slotBits');
  const slotCount = 2 ** slotBits;
  const chosen = new Float64Array(slotCount).fill(-1);
  for (const r of ranges) {
    for (let i = 0; i < r.slots.length; i++) {
      const slot = r.slots[i]!;
      const c = r.counters[i]!;
      const had = chosen[slot]!;
      if (had < 0 || c < had) chosen[slot] = c;
    }
  }
  let filled = 0;
  for (let s = 0; s < slotCount; s++) if (chosen[s]! >= 0) filled++;
  const slots = new Uint32Array(filled);
  const counters = new Float64Array(filled);
  let i = 0;
  for (let s = 0; s < slotCount; s++) {
    if (chosen[s]! < 0) continue;
    slots[i] = s;
    counters[i++] = chosen[s]!;
  }
  return { slots, counters };
}

/**
 * Hashes counters 0..hashes-1 split over `workers` threads and keeps, per slot, the ball with the smallest
 * counter: the result depends only on key, shape and hash count, never on the number of threads.
 * @example
 * const r = await mintBalls({ params: { t: 4, u: 8, v: 6, k: 4, fixed: 0 }, key, hashes: 600_000 });
 */
export async function mintBalls(o: MintBallsOptions): Promise<MintedBalls> {
  assertMintShape(o.params);
  abytes(o.key, EPOCH_KEY_BYTES, 'key');
  const seed = o.seed ?? new Uint8Array(randomBytes(SEED_BYTES));
  abytes(seed, SEED_BYTES, 'seed');
  aint(o.hashes, 1, Number.MAX_SAFE_INTEGER, 'hashes');
  const workers = o.workers ?? availableParallelism();
  aint(workers, 1, 256, 'workers');
  const { t, u, v, fixed } = o.params;
  const kernel = resolveKernel(o.kernel);
  const began = performance.now();
  let done = 0;
  const progress = (n: number) => {
    done += n;
    o.onProgress?.({ hashes: done, total: o.hashes });
  };
  const jobs: Promise<DoneMessage>[] = [];
  for (let i = 0; i < workers; i++) {
    const start = Math.floor((o.hashes * i) / workers);
    const end = Math.floor((o.hashes * (i + 1)) / workers);
    if (end > start) jobs.push(runInWorker({ key: o.key, seed, t, u, v, fixed, start, end, kernel }, progress));
  }
  const results = await Promise.all(jobs);
  const { slots, counters } = smallestCounters(results, u + v);
  const xs = ballsOfCounters(seed, counters);
  const hashes = results.reduce((n, r) => n + r.hashes, 0);
  const ballsCounted = results.reduce((n, r) => n + r.ballsCounted, 0);
  return { slots, xs, hashes, ballsCounted, ms: performance.now() - began, workers, kernel };
}

/** What an epoch to mint is: where it goes, its shape, name, key, fixed bits and validity (see {@link planEpoch}). */
export interface EpochPlanOptions {
  /** Where the epoch goes: a broker's store (`broker.store`, `openStore(path)`, `openPostgresStore(...)`). */
  store: Store;
  params: Shape;
  /** Epoch name; default `YYYY-MM` of now, with `.2`, `.3`... when taken. */
  epochId?: string;
  /** Target fraction of slots holding a ball (0..1), default 0.9 (cheapest coins for k = 4). */
  fill?: number;
  /** Epoch key K_e; default 32 random bytes. Give one only to reproduce a run. */
  key?: Uint8Array;
  /** Fixed-bits pattern; default random. */
  fixed?: number;
  /** Expiry (ISO 8601); default `validDays` after now. */
  expiresAt?: string;
  /** Days an epoch is valid when neither `expiresAt` nor `validSeconds` is given, default 30. */
  validDays?: number;
  /** Seconds an epoch is valid when `expiresAt` is not given (short epochs for tests and demos); wins over `validDays`. */
  validSeconds?: number;
  now?: Date;
}

/** Options of {@link mintEpoch}. */
export interface MintEpochOptions extends EpochPlanOptions {
  /** Threads, default `os.availableParallelism()`. */
  workers?: number;
  onProgress?: (p: MintProgress) => void;
  /** Hashing loop; default native when built (see `native.ts`). */
  kernel?: MintKernel;
  /** Secret ball seed (16 bytes); default random, and never stored. Give one only to reproduce a run. */
  ballSeed?: Uint8Array;
}

/** What a minting run produced. */
export interface MintSummary extends CoinEstimate {
  epoch: EpochParams;
  hashes: number;
  ballsCounted: number;
  slots: number;
  filledSlots: number;
  filledFraction: number;
  /** Whole run: threads, merge and database insert. */
  ms: number;
  /** Of which the database insert. */
  storeMs: number;
  hashesPerSecond: number;
  workers: number;
  /** The hashing loop that ran. */
  kernel: MintKernel;
}

async function defaultEpochId(store: Store, now: Date): Promise<string> {
  const base = now.toISOString().slice(0, 7);
  if (!(await store.epochs.exists(base))) return base;
  for (let n = 2; ; n++) if (!(await store.epochs.exists(`${base}.${n}`))) return `${base}.${n}`;
}

async function assertNewEpoch(store: Store, id: string): Promise<void> {
  if (await store.epochs.exists(id)) throw new RangeError(`epoch ${id} exists already`);
}

/** An epoch checked and named, not minted yet: made by {@link planEpoch}, stored by {@link storeMinted}. */
export interface EpochPlan {
  store: Store;
  epoch: EpochParams;
  fill: number;
  /** The hash budget: counters 0 .. hashes-1. */
  hashes: number;
  now: Date;
}

/**
 * Checks what an epoch is to be and names it: random key and fixed bits unless given, expiry, a free id,
 * and the hash budget ceil(-ln(1-fill) * 2^(u+v) * 2^t). Nothing is written yet.
 * @example
 * const plan = await planEpoch({ store, params: PARAMETER_SETS.test });
 * const minted = await mintBalls({ params: plan.epoch, key: plan.epoch.key, hashes: plan.hashes });
 * await storeMinted(plan, minted);
 */
export async function planEpoch(o: EpochPlanOptions): Promise<EpochPlan> {
  aobject(o, 'options');
  const { store } = o;
  if (typeof store?.transaction !== 'function') throw new TypeError('mintEpoch needs a store');
  aobject(o.params, 'params');
  const { t, u, v, k } = o.params;
  const fill = o.fill ?? 0.9;
  const now = o.now ?? new Date();
  const key = o.key ?? new Uint8Array(randomBytes(EPOCH_KEY_BYTES));
  aint(t, 1, 24, 'params.t');
  const fixed = o.fixed ?? randomInt(2 ** t);
  const validDays = o.validDays ?? 30;
  aint(validDays, 1, 3660, 'validDays');
  if (o.validSeconds !== undefined) aint(o.validSeconds, 1, 3660 * 86_400, 'validSeconds');
  const validMs = o.validSeconds !== undefined ? o.validSeconds * 1000 : validDays * 86_400_000;
  const epoch = validateParams({
    id: o.epochId ?? (await defaultEpochId(store, now)),
    key,
    t,
    u,
    v,
    k,
    fixed,
    expiresAt: o.expiresAt ?? new Date(now.getTime() + validMs).toISOString(),
  });
  assertMintShape(epoch);
  await assertNewEpoch(store, epoch.id);
  return { store, epoch, fill, hashes: hashBudget(epoch, fill), now };
}

/**
 * Stores the balls minted for a plan, wherever they were hashed: checks a sample against the reference hash,
 * inserts the epoch and its balls in one transaction (refused with a RangeError when another minter took the
 * epoch's id meanwhile), and sums the run up.
 * @example
 * const summary = await storeMinted(plan, await mintBalls({ params: plan.epoch, key: plan.epoch.key, hashes: plan.hashes }));
 */
export async function storeMinted(plan: EpochPlan, minted: MintedBalls): Promise<MintSummary> {
  const { store, epoch, fill, now } = plan;
  const { u, v } = epoch;
  // A cheap cross-check of the threads against the reference hash (noble) before anything is stored.
  for (let n = 0; n < Math.min(32, minted.slots.length); n++) {
    const i = randomInt(minted.slots.length);
    const slot = slotOfBall(epoch, minted.xs.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES));
    if (!slot.fixedOk || slot.superbin * 2 ** v + slot.subbin !== minted.slots[i])
      throw new Error('a minting thread filed a ball in the wrong slot');
  }
  const record: EpochRecord = {
    params: epoch,
    createdAt: now.toISOString(),
    fill,
    hashes: minted.hashes,
    ballsCounted: minted.ballsCounted,
    filledSlots: minted.slots.length,
    mintMs: Math.round(minted.ms),
    workers: minted.workers,
    redeemBy: null,
  };
  const insertStart = performance.now();
  await store.transaction(async () => {
    await assertNewEpoch(store, epoch.id);
    await store.epochs.insertEpoch(record, minted.slots, minted.xs);
  });
  const storeMs = performance.now() - insertStart;
  const slotCount = 2 ** (u + v);
  const filledFraction = minted.slots.length / slotCount;
  return {
    epoch,
    hashes: minted.hashes,
    ballsCounted: minted.ballsCounted,
    slots: slotCount,
    filledSlots: minted.slots.length,
    filledFraction,
    ms: minted.ms + storeMs,
    storeMs,
    hashesPerSecond: minted.hashes / (minted.ms / 1000),
    workers: minted.workers,
    kernel: minted.kernel,
    ...estimateCoins(epoch, filledFraction),
  };
}

/**
 * Mints a new epoch into the broker's store (SQLite or PostgreSQL): random key, fixed bits and secret ball seed, hash budget
 * ceil(-ln(1-fill) * 2^(u+v) * 2^t), one ball per slot, all inserted in one transaction.
 * @example
 * const summary = await mintEpoch({ store, params: PARAMETER_SETS.test });
 * console.log(summary.filledFraction, summary.hashesPerSecond);
 */
export async function mintEpoch(o: MintEpochOptions): Promise<MintSummary> {
  const plan = await planEpoch(o);
  const minted = await mintBalls({
    params: plan.epoch,
    key: plan.epoch.key,
    hashes: plan.hashes,
    ...(o.ballSeed ? { seed: o.ballSeed } : {}),
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.kernel ? { kernel: o.kernel } : {}),
  });
  return storeMinted(plan, minted);
}
