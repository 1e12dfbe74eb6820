/**
 * CoinMint: tosses balls into the 2^(u+v) slots of an epoch on every core and stores the result.
 * Ball x_c of counter c comes from a secret seed (see `balls.ts`); each thread hashes a contiguous counter range,
 * and the smallest counter that reached a slot wins it, so the result depends on (key, seed, budget) only.
 * @module
 */
import { randomBytes, randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { BALL_BYTES, EPOCH_KEY_BYTES, abytes, aint, aobject, slotOfBall, validateParams, type EpochParams } from '@micromint/shared';
import { epochsRepo, type EpochRecord } from '../db/epochs.ts';
import { inTransaction, type Db } from '../db/open.ts';
import type { Store } from '../db/store.ts';
import { SEED_BYTES, ballsOfCounters } from './balls.ts';
import { resolveKernel, type MintKernel } from './native.ts';
import type { DoneMessage } from './protocol.ts';
import { runInWorker } from './spawn.ts';
import { estimateCoins, hashBudget, type CoinEstimate, type Shape } from './stats.ts';

/** Largest u + v this minter holds in memory (2^24 slots); larger epochs need a dedicated minting farm. */
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

function checkShape(p: Shape & { fixed: number }): void {
  aobject(p, 'params');
  aint(p.t, 1, 24, 'params.t');
  aint(p.u, 2, 24, 'params.u');
  aint(p.v, 3, 16, 'params.v');
  aint(p.k, 2, 8, 'params.k');
  aint(p.fixed, 0, 2 ** p.t - 1, 'params.fixed');
  if (p.u + p.v > MAX_SLOT_BITS)
    throw new RangeError(`u + v = ${p.u + p.v} is more than this minter holds (${MAX_SLOT_BITS}): use a minting farm`);
}

/**
 * Hashes counters 0..hashes-1 split over `workers` threads and keeps, per slot, the ball with the smallest
 * counter: the result depends only on key, shape and hash count, never on the number of threads.
 * @example
 * const r = await mintBalls({ params: { t: 4, u: 8, v: 6, k: 4, fixed: 0 }, key, hashes: 600_000 });
 */
export async function mintBalls(o: MintBallsOptions): Promise<MintedBalls> {
  checkShape(o.params);
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

  // Ranges are in increasing counter order, so the first range that reached a slot holds its smallest counter.
  const slotCount = 2 ** (u + v);
  const chosen = new Float64Array(slotCount).fill(-1);
  let ballsCounted = 0;
  for (const r of results) {
    ballsCounted += r.ballsCounted;
    for (let i = 0; i < r.slots.length; i++) {
      const slot = r.slots[i]!;
      if (chosen[slot]! < 0) chosen[slot] = r.counters[i]!;
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
  const xs = ballsOfCounters(seed, counters);
  return { slots, xs, hashes: results.reduce((n, r) => n + r.hashes, 0), ballsCounted, ms: performance.now() - began, workers, kernel };
}

/** Options of {@link mintEpoch}. */
export interface MintEpochOptions {
  /** Where the epoch goes: a store (e.g. `createBroker(...).store`) or a raw database handle. */
  store?: Pick<Store, 'db'>;
  db?: Db;
  params: Shape;
  /** Epoch name; default `YYYY-MM` of now, with `.2`, `.3`... when taken. */
  epochId?: string;
  /** Target fraction of slots holding a ball (0..1), default 0.9 (cheapest coins for k = 4). */
  fill?: number;
  /** Threads, default `os.availableParallelism()`. */
  workers?: number;
  onProgress?: (p: MintProgress) => void;
  /** Hashing loop; default native when built (see `native.ts`). */
  kernel?: MintKernel;
  /** Epoch key K_e; default 32 random bytes. Give one only to reproduce a run. */
  key?: Uint8Array;
  /** Secret ball seed (16 bytes); default random, and never stored. Give one only to reproduce a run. */
  ballSeed?: Uint8Array;
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

function defaultEpochId(db: Db, now: Date): string {
  const base = now.toISOString().slice(0, 7);
  const exists = db.prepare<[string], number>('SELECT 1 FROM epochs WHERE id = ?').pluck();
  if (exists.get(base) === undefined) return base;
  for (let n = 2; ; n++) if (exists.get(`${base}.${n}`) === undefined) return `${base}.${n}`;
}

/**
 * Mints a new epoch into the broker's database: random key, fixed bits and secret ball seed, hash budget
 * ceil(-ln(1-fill) * 2^(u+v) * 2^t), one ball per slot, all inserted in one transaction.
 * @example
 * const summary = await mintEpoch({ store, params: PARAMETER_SETS.test });
 * console.log(summary.filledFraction, summary.hashesPerSecond);
 */
export async function mintEpoch(o: MintEpochOptions): Promise<MintSummary> {
  aobject(o, 'options');
  const db = o.db ?? o.store?.db;
  if (!db) throw new TypeError('mintEpoch needs a store or a db');
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
    id: o.epochId ?? defaultEpochId(db, now),
    key,
    t,
    u,
    v,
    k,
    fixed,
    expiresAt: o.expiresAt ?? new Date(now.getTime() + validMs).toISOString(),
  });
  const repo = epochsRepo(db);
  if (repo.exists(epoch.id)) throw new RangeError(`epoch ${epoch.id} exists already`);
  const hashes = hashBudget(epoch, fill);
  const minted = await mintBalls({
    params: epoch,
    key,
    hashes,
    ...(o.ballSeed ? { seed: o.ballSeed } : {}),
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.kernel ? { kernel: o.kernel } : {}),
  });
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
  inTransaction(db, () => repo.insertEpoch(record, minted.slots, minted.xs));
  const storeMs = performance.now() - insertStart;
  const ms = minted.ms + storeMs;
  const slotCount = 2 ** (u + v);
  const filledFraction = minted.slots.length / slotCount;
  return {
    epoch,
    hashes: minted.hashes,
    ballsCounted: minted.ballsCounted,
    slots: slotCount,
    filledSlots: minted.slots.length,
    filledFraction,
    ms,
    storeMs,
    hashesPerSecond: minted.hashes / (minted.ms / 1000),
    workers: minted.workers,
    kernel: minted.kernel,
    ...estimateCoins(epoch, filledFraction),
  };
}
