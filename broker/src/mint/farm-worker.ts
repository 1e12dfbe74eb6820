/**
 * A minting farm worker: on any machine that reaches the farm's PostgreSQL, claims ranges of counters, hashes
 * each on a minting thread with the same kernel as a local mint (`spawn.ts`, `worker.ts`), and writes back per
 * slot the smallest counter it found. It runs `threads` ranges at once, renews their leases while they hash,
 * and returns when no job has a range left to do.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { aint, aobject, astring } from '@micromint/shared';
import { aseconds, resolveFarmOptions, type FarmOptions } from './farm-options.ts';
import { FarmQueue, type FarmClaim } from './farm-queue.ts';
import { encodeWinners } from './farm-winners.ts';
import { resolveKernel, type MintKernel } from './native.ts';
import { runInWorker } from './spawn.ts';

/** What a worker tells as it goes (the CLI prints it). */
export type FarmWorkerEvent =
  | { type: 'ready'; id: string; threads: number; kernel: MintKernel }
  | { type: 'claimed'; job: string; range: number; first: number; end: number; claims: number }
  | { type: 'done'; job: string; range: number; hashes: number; ms: number; kernel: MintKernel; accepted: boolean };

/** Options of {@link runFarmWorker}. */
export interface FarmWorkerOptions {
  farm: FarmOptions;
  /** Ranges hashed at once, one thread each; default `os.availableParallelism()`. */
  threads?: number;
  /** Seconds a claim holds a range without a renewal (renewed every third of it while hashing); default 60. */
  leaseSeconds?: number;
  /** Seconds to wait for a first job when none is open; default 60 (0: return at once). */
  waitSeconds?: number;
  /** Milliseconds between two looks at the queue when nothing can be claimed; default 1000. */
  pollMs?: number;
  /** Hashing loop; default native when built (see `native.ts`). */
  kernel?: MintKernel;
  /** This worker's name in the queue; default `host:pid:random`. */
  id?: string;
  onEvent?: (e: FarmWorkerEvent) => void;
}

/** What a worker did. */
export interface FarmWorkerReport {
  id: string;
  /** Ranges it completed first (a range another worker completed first is not counted). */
  ranges: number;
  hashes: number;
  kernel: MintKernel;
}

type Resolved = Required<Omit<FarmWorkerOptions, 'onEvent'>> & Pick<FarmWorkerOptions, 'onEvent'>;

/** Checks the options eagerly and fills in the defaults. */
export function resolveFarmWorkerOptions(o: FarmWorkerOptions): Resolved {
  aobject(o, 'farm worker options');
  const farm = resolveFarmOptions(o.farm);
  const threads = o.threads ?? availableParallelism();
  aint(threads, 1, 256, 'threads');
  const leaseSeconds = o.leaseSeconds ?? 60;
  aseconds(leaseSeconds, 1, 86_400, 'leaseSeconds');
  const waitSeconds = o.waitSeconds ?? 60;
  aseconds(waitSeconds, 0, 86_400, 'waitSeconds');
  const pollMs = o.pollMs ?? 1000;
  aint(pollMs, 10, 60_000, 'pollMs');
  const id = o.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  astring(id, 'id', 200);
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') throw new TypeError('onEvent must be a function');
  return { farm, threads, leaseSeconds, waitSeconds, pollMs, kernel: resolveKernel(o.kernel), id, onEvent: o.onEvent };
}

interface Run {
  o: Resolved;
  queue: FarmQueue;
  waitUntil: number;
  /** Set once a job was seen: from then on, no open range means the work is over. */
  seenJob: boolean;
  report: FarmWorkerReport;
}

/** Hashes one claimed range on a thread, keeping its lease alive, and writes the result back. */
async function hashClaim(run: Run, claim: FarmClaim): Promise<void> {
  const { o, queue } = run;
  o.onEvent?.({ type: 'claimed', job: claim.job, range: claim.range, first: claim.first, end: claim.end, claims: claim.claims });
  let hashed = 0;
  const renew = () => void queue.renew(claim, o.id, o.leaseSeconds, hashed).catch(() => undefined);
  const timer = setInterval(renew, Math.min(2000, (o.leaseSeconds * 1000) / 3));
  try {
    const { spec } = claim;
    const job = { key: spec.key, seed: spec.seed, t: spec.t, u: spec.u, v: spec.v, fixed: spec.fixed, kernel: o.kernel };
    const done = await runInWorker({ ...job, start: claim.first, end: claim.end }, (n) => (hashed += n));
    const winners = encodeWinners(done, claim.first);
    const accepted = await queue.complete(claim, o.id, { kernel: done.kernel, ballsCounted: done.ballsCounted, winners });
    if (accepted) {
      run.report.ranges++;
      run.report.hashes += done.hashes;
    }
    o.onEvent?.({
      type: 'done',
      job: claim.job,
      range: claim.range,
      hashes: done.hashes,
      ms: done.elapsedMs,
      kernel: done.kernel,
      accepted,
    });
  } finally {
    clearInterval(timer);
  }
}

/** One thread's loop: claim, hash, complete, until no job has a range left (or none came within the wait). */
async function lane(run: Run): Promise<void> {
  for (;;) {
    const claim = await run.queue.claim(run.o.id, run.o.leaseSeconds);
    if (claim) {
      run.seenJob = true;
      await hashClaim(run, claim);
      continue;
    }
    // Ranges held by others may still come back when a lease runs out: wait until they are done.
    if ((await run.queue.openRanges()) > 0) run.seenJob = true;
    else if (run.seenJob || Date.now() >= run.waitUntil) return;
    await sleep(run.o.pollMs);
  }
}

/**
 * Works for the farm until no job has a range left: resolves with what it did. A worker killed mid-range loses
 * nothing: its lease runs out and another worker hashes the range again.
 * @example
 * const report = await runFarmWorker({ farm: { connectionString: 'postgres://mint:secret@10.0.0.5/farm' } });
 * console.log(report.ranges, report.hashes);
 */
export async function runFarmWorker(options: FarmWorkerOptions): Promise<FarmWorkerReport> {
  const o = resolveFarmWorkerOptions(options);
  // Each lane needs a connection only for one short statement at a time: a few connections serve many lanes.
  const queue = await FarmQueue.open(o.farm, Math.min(o.threads + 1, 8));
  o.onEvent?.({ type: 'ready', id: o.id, threads: o.threads, kernel: o.kernel });
  const run: Run = {
    o,
    queue,
    waitUntil: Date.now() + o.waitSeconds * 1000,
    seenJob: false,
    report: { id: o.id, ranges: 0, hashes: 0, kernel: o.kernel },
  };
  try {
    await Promise.all(Array.from({ length: o.threads }, () => lane(run)));
    return run.report;
  } finally {
    await queue.close();
  }
}
