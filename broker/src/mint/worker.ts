/**
 * A minting thread: hashes ball x_c (see `balls.ts`) for every counter c of its range and keeps, for each
 * slot, the first (smallest) counter that lands there.
 * @module
 */
import { hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { BALL_BYTES, ballPreimage, fixedBitsMatch, setBall, slotOfDigest } from '@micromint/shared';
import { ballStream } from './balls.ts';
import { PROGRESS_EVERY, type DoneMessage, type MintJob, type ProgressMessage } from './protocol.ts';

/** Runs a job; `report` receives progress. Exported for the single-thread path and tests. */
export function runJob(job: MintJob, report: (m: ProgressMessage) => void): DoneMessage {
  const { t, u, v, fixed, start, end, deadline } = job;
  const shape = { t, u, v, fixed };
  const pre = ballPreimage(job.key);
  const nextBalls = ballStream(job.seed, start);
  // Cheap exact pre-filter on the top t bits (t <= 24) before the shared, authoritative check.
  const shift = 24 - t;
  const seen = new Uint8Array(Math.ceil(2 ** (u + v) / 8));
  let capacity = Math.min(2 ** (u + v), Math.ceil(((end - start) / 2 ** t) * 1.1) + 1024);
  let slots = new Uint32Array(capacity);
  let counters = new Float64Array(capacity);
  let filled = 0;
  let counted = 0;
  let c = start;
  const began = performance.now();
  while (c < end) {
    const stop = Math.min(end, c + PROGRESS_EVERY);
    const from = c;
    const balls = nextBalls(stop - c);
    for (let at = 0; c < stop; c++, at += BALL_BYTES) {
      setBall(pre, balls.subarray(at, at + BALL_BYTES));
      const d = hash('sha256', pre, 'buffer');
      if ((((d[0]! << 16) | (d[1]! << 8) | d[2]!) >>> shift) !== fixed) continue;
      if (!fixedBitsMatch(shape, d)) continue;
      counted++;
      const s = slotOfDigest(shape, d);
      const slot = s.superbin * 2 ** v + s.subbin;
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
      counters[filled] = c;
      filled++;
    }
    report({ type: 'progress', hashes: c - from });
    if (deadline !== undefined && Date.now() >= deadline) break;
  }
  return {
    type: 'done',
    hashes: c - start,
    ballsCounted: counted,
    slots: slots.slice(0, filled),
    counters: counters.slice(0, filled),
    elapsedMs: performance.now() - began,
  };
}

if (parentPort && workerData) {
  const port = parentPort;
  const result = runJob(workerData as MintJob, (m) => port.postMessage(m));
  // Transfer, not copy: the arrays are created here and nothing else holds them.
  port.postMessage(result, [result.slots.buffer as ArrayBuffer, result.counters.buffer as ArrayBuffer]);
}
