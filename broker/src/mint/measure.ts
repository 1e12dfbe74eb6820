/**
 * Minting speed: the same hashing loop as {@link mintEpoch}, on one thread and then on all of them.
 * @module
 */
import { availableParallelism } from 'node:os';
import { aint, aobject } from '@micromint/shared';
import { resolveKernel, type MintKernel } from './native.ts';
import type { DoneMessage, MintJob } from './protocol.ts';
import { runInWorker } from './spawn.ts';
import type { Shape } from './stats.ts';

/** Options of {@link measureMint}. */
export interface MeasureOptions {
  params: Shape;
  /** Threads for the all-cores run, default `os.availableParallelism()`. */
  workers?: number;
  /** Seconds each run hashes for (default 2 when `hashes` is not given). */
  seconds?: number;
  /** Or a fixed number of hashes per run (split over the threads in the all-cores run). */
  hashes?: number;
  /** Hashing loop to measure; default as for minting (native when built, see `native.ts`). */
  kernel?: MintKernel;
}

/** Hashes per second on one thread and on `workers` threads. */
export interface MintSpeed {
  singleCore: number;
  allCores: number;
  workers: number;
  /** The hashing loop measured. */
  kernel: MintKernel;
}

async function run(
  p: Shape,
  kernel: MintKernel,
  workers: number,
  seconds: number | undefined,
  hashes: number | undefined,
): Promise<number> {
  const key = new Uint8Array(32).fill(7);
  // With a time limit the range is effectively endless and the deadline stops the thread.
  const total = hashes ?? Number.MAX_SAFE_INTEGER - 1;
  const deadline = seconds !== undefined ? Date.now() + 250 + seconds * 1000 : undefined;
  const jobs: Promise<DoneMessage>[] = [];
  for (let i = 0; i < workers; i++) {
    const job: MintJob = {
      key,
      seed: key.subarray(0, 16),
      t: p.t,
      u: p.u,
      v: p.v,
      fixed: 0,
      start: Math.floor((total * i) / workers),
      end: Math.floor((total * (i + 1)) / workers),
      kernel,
      ...(deadline !== undefined ? { deadline } : {}),
    };
    jobs.push(runInWorker(job, () => {}));
  }
  const results = await Promise.all(jobs);
  // Threads run side by side: the total rate is the sum of each thread's own rate (start-up excluded).
  return results.reduce((sum, r) => sum + r.hashes / (r.elapsedMs / 1000), 0);
}

/**
 * Measures hashes per second of the minting loop.
 * @example
 * const { singleCore, allCores, kernel } = await measureMint({ params: PARAMETER_SETS.demo, seconds: 2 });
 */
export async function measureMint(o: MeasureOptions): Promise<MintSpeed> {
  aobject(o, 'options');
  aobject(o.params, 'params');
  const workers = o.workers ?? availableParallelism();
  aint(workers, 1, 256, 'workers');
  if (o.hashes !== undefined) aint(o.hashes, 1, Number.MAX_SAFE_INTEGER, 'hashes');
  if (o.seconds !== undefined && !(typeof o.seconds === 'number' && o.seconds > 0 && o.seconds <= 600))
    throw new RangeError('seconds must be between 0 and 600');
  const seconds = o.hashes === undefined ? (o.seconds ?? 2) : o.seconds;
  const kernel = resolveKernel(o.kernel);
  const singleCore = await run(o.params, kernel, 1, seconds, o.hashes);
  const allCores = await run(o.params, kernel, workers, seconds, o.hashes);
  return { singleCore, allCores, workers, kernel };
}
