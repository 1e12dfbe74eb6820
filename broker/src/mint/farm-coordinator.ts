/**
 * The minting farm's coordinator: puts a minting job (epoch shape, key, secret seed, hash budget) on the farm's
 * queue cut into ranges, waits while workers anywhere hash them, then merges their results by the spec's rule
 * (the smallest counter wins a slot), derives the balls from the seed, and deletes the job with its seed. The
 * balls are exactly those a local `mintBalls` finds for the same key, seed and budget, so the epoch is
 * stored as a local mint stores it (`storeMinted`).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EPOCH_KEY_BYTES, abytes, aint, aobject } from '@micromint/shared';
import { SEED_BYTES, ballsOfCounters } from './balls.ts';
import { resolveFarmOptions, type FarmOptions } from './farm-options.ts';
import { FarmQueue, type FarmRangeResult } from './farm-queue.ts';
import { MAX_RANGE_COUNTERS, decodeWinners } from './farm-winners.ts';
import {
  assertMintShape,
  planEpoch,
  smallestCounters,
  storeMinted,
  type EpochPlanOptions,
  type MintedBalls,
  type MintProgress,
  type MintSummary,
} from './mint.ts';
import type { Shape } from './stats.ts';

/** Default counters per range: about 1 s of one core with the native kernel. */
export const FARM_RANGE_COUNTERS = 2 ** 24;

/** Most ranges in a job. */
export const MAX_FARM_RANGES = 100_000;

/** Progress of a farm run. */
export interface FarmProgress extends MintProgress {
  job: string;
  ranges: number;
  rangesDone: number;
}

/** Options of {@link farmMintBalls}. */
export interface FarmMintBallsOptions {
  farm: FarmOptions;
  params: Shape & { fixed: number };
  key: Uint8Array;
  /** Secret ball seed (16 bytes); default random. It is in the farm's database until the job ends. */
  seed?: Uint8Array;
  /** Counters to hash: 0 .. hashes-1. */
  hashes: number;
  /** Ranges to cut the counters into; default one per {@link FARM_RANGE_COUNTERS} counters. */
  ranges?: number;
  /** Milliseconds between two looks at the job; default 1000. */
  pollMs?: number;
  onProgress?: (p: FarmProgress) => void;
  /** Aborting deletes the job (and its seed) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What a farm run found: the same balls as a local run, and how the farm got them. */
export interface FarmMintedBalls extends MintedBalls {
  job: string;
  ranges: number;
  /** Ranges claimed more than once because a lease ran out. */
  reclaimed: number;
}

/** Checks the options eagerly (before any connection). */
function resolve(o: FarmMintBallsOptions) {
  aobject(o, 'options');
  const farm = resolveFarmOptions(o.farm);
  assertMintShape(o.params);
  abytes(o.key, EPOCH_KEY_BYTES, 'key');
  const seed = o.seed ?? new Uint8Array(randomBytes(SEED_BYTES));
  abytes(seed, SEED_BYTES, 'seed');
  aint(o.hashes, 1, Number.MAX_SAFE_INTEGER, 'hashes');
  const least = Math.ceil(o.hashes / MAX_RANGE_COUNTERS);
  const ranges = o.ranges ?? Math.min(MAX_FARM_RANGES, Math.ceil(o.hashes / FARM_RANGE_COUNTERS));
  aint(ranges, Math.min(least, MAX_FARM_RANGES), Math.min(o.hashes, MAX_FARM_RANGES), 'ranges');
  const pollMs = o.pollMs ?? 1000;
  aint(pollMs, 10, 60_000, 'pollMs');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError('onProgress must be a function');
  return { farm, seed, ranges, pollMs };
}

/** Waits until every range of the job is done, reporting progress. */
async function waitForRanges(queue: FarmQueue, job: string, o: FarmMintBallsOptions, pollMs: number): Promise<void> {
  for (;;) {
    const p = await queue.progress(job);
    if (!p) throw new Error(`the farm job ${job} was deleted before it finished`);
    o.onProgress?.({ job, ranges: p.ranges, rangesDone: p.done, hashes: p.hashes, total: o.hashes });
    if (p.done === p.ranges) return;
    await sleep(pollMs, undefined, o.signal ? { signal: o.signal } : {});
  }
}

/** The balls of the merged results (smallest counter per slot, over all ranges). */
function mergeRanges(results: FarmRangeResult[], o: FarmMintBallsOptions, seed: Uint8Array) {
  const { u, v } = o.params;
  const winners = results.map((r) => decodeWinners(r.winners, r.first, r.end, u + v));
  const { slots, counters } = smallestCounters(winners, u + v);
  return { slots, xs: ballsOfCounters(seed, counters) };
}

/**
 * Mints through the farm: the same result as `mintBalls` with the same params, key, seed and hashes, the
 * hashing done by `micromint-broker mint-worker` processes on any machine. Resolves once every range is merged.
 * @example
 * const farm = { connectionString: 'postgres://mint:secret@10.0.0.5/farm' };
 * const r = await farmMintBalls({ farm, params: { t: 4, u: 8, v: 6, k: 4, fixed: 0 }, key, hashes: 600_000, ranges: 8 });
 */
export async function farmMintBalls(o: FarmMintBallsOptions): Promise<FarmMintedBalls> {
  const { farm, seed, ranges, pollMs } = resolve(o);
  o.signal?.throwIfAborted();
  const began = performance.now();
  const queue = await FarmQueue.open(farm);
  let job: string | undefined;
  try {
    const { t, u, v, fixed } = o.params;
    job = await queue.createJob({ key: o.key, seed, t, u, v, fixed, hashes: o.hashes }, ranges);
    await waitForRanges(queue, job, o, pollMs);
    const results = await queue.results(job);
    const { slots, xs } = mergeRanges(results, o, seed);
    return {
      slots,
      xs,
      hashes: results.reduce((n, r) => n + (r.end - r.first), 0),
      ballsCounted: results.reduce((n, r) => n + r.ballsCounted, 0),
      ms: performance.now() - began,
      workers: new Set(results.map((r) => r.doneBy)).size,
      kernel: results.every((r) => r.kernel === 'native') ? 'native' : 'js',
      job,
      ranges: results.length,
      reclaimed: results.filter((r) => r.claims > 1).length,
    };
  } catch (e) {
    throw o.signal?.aborted ? o.signal.reason : e;
  } finally {
    if (job !== undefined) await queue.deleteJob(job);
    await queue.close();
  }
}

/** Options of {@link farmMintEpoch}: an epoch as for `mintEpoch`, hashed by the farm. */
export interface FarmMintEpochOptions
  extends EpochPlanOptions, Pick<FarmMintBallsOptions, 'farm' | 'ranges' | 'pollMs' | 'onProgress' | 'signal'> {
  /** Secret ball seed (16 bytes); default random. Give one only to reproduce a run. */
  ballSeed?: Uint8Array;
}

/** What a farm run produced: a local run's summary (`workers` counts worker processes), and the farm's figures. */
export interface FarmSummary extends MintSummary {
  job: string;
  ranges: number;
  reclaimed: number;
}

/**
 * Mints a new epoch into the broker's store as `mintEpoch` does, the hashing done by the farm's workers.
 * @example
 * const summary = await farmMintEpoch({ store, params: PARAMETER_SETS.demo, farm: { connectionString: url } });
 * console.log(summary.filledFraction, summary.workers, summary.reclaimed);
 */
export async function farmMintEpoch(o: FarmMintEpochOptions): Promise<FarmSummary> {
  aobject(o, 'options');
  resolveFarmOptions(o.farm);
  const plan = await planEpoch(o);
  const minted = await farmMintBalls({
    farm: o.farm,
    params: plan.epoch,
    key: plan.epoch.key,
    hashes: plan.hashes,
    ...(o.ballSeed ? { seed: o.ballSeed } : {}),
    ...(o.ranges !== undefined ? { ranges: o.ranges } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return { ...(await storeMinted(plan, minted)), job: minted.job, ranges: minted.ranges, reclaimed: minted.reclaimed };
}
