/**
 * A minting thread: hashes ball x_c (see `balls.ts`) for every counter c of its range and keeps, for each
 * slot, the first (smallest) counter that lands there. The hashing runs batch by batch, in the native kernel
 * when it is built (`native.ts`) or in the JavaScript loop (`matcher.ts`); both find the same balls.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ballStream } from './balls.ts';
import { matcherOf } from './matcher.ts';
import { resolveKernel } from './native.ts';
import { PROGRESS_EVERY, type DoneMessage, type MintJob, type ProgressMessage } from './protocol.ts';

export { jsMatcher } from './matcher.ts';

/** Runs a job; `report` receives progress. Exported for the single-thread path and tests. */
export function runJob(job: MintJob, report: (m: ProgressMessage) => void): DoneMessage {
  const { t, u, v, fixed, start, end, deadline } = job;
  const kernel = resolveKernel(job.kernel);
  const match = matcherOf(kernel, job.key, { t, u, v, fixed });
  const nextBalls = ballStream(job.seed, start);
  const seen = new Uint8Array(Math.ceil(2 ** (u + v) / 8));
  let capacity = Math.min(2 ** (u + v), Math.ceil(((end - start) / 2 ** t) * 1.1) + 1024);
  let slots = new Uint32Array(capacity);
  let counters = new Float64Array(capacity);
  let filled = 0;
  let counted = 0;
  let c = start;
  const began = performance.now();
  while (c < end) {
    const n = Math.min(end - c, PROGRESS_EVERY);
    const pairs = match(nextBalls(n));
    counted += pairs.length / 2;
    // Pairs come in increasing index order, so the first pair that reaches a slot has its smallest counter.
    for (let i = 0; i < pairs.length; i += 2) {
      const slot = pairs[i + 1]!;
      const bit = 1 << (slot & 7);
      if (seen[slot >>> 3]! & bit) continue;
      seen[slot >>> 3]! |= bit;
      if (filled === capacity) {
        capacity *= 2;
        const ns = new Uint32Array(capacity);
        ns.set(slots);
        slots = ns;
        const nc = new Float64Array(capacity);
        nc.set(counters);
        counters = nc;
      }
      slots[filled] = slot;
      counters[filled] = c + pairs[i]!;
      filled++;
    }
    c += n;
    report({ type: 'progress', hashes: n });
    if (deadline !== undefined && Date.now() >= deadline) break;
  }
  return {
    type: 'done',
    hashes: c - start,
    ballsCounted: counted,
    slots: slots.slice(0, filled),
    counters: counters.slice(0, filled),
    elapsedMs: performance.now() - began,
    kernel,
  };
}

if (parentPort && workerData) {
  const port = parentPort;
  const result = runJob(workerData as MintJob, (m) => port.postMessage(m));
  // Transfer, not copy: the arrays are created here and nothing else holds them.
  port.postMessage(result, [result.slots.buffer as ArrayBuffer, result.counters.buffer as ArrayBuffer]);
}
