/**
 * Messages between the minting threads. Kept apart so the worker and the main thread share one definition.
 * @module
 */
import type { MintKernel } from './native.ts';

/** What a worker is asked to do: hash the balls of counters [start, end) under one epoch key. */
export interface MintJob {
  key: Uint8Array;
  /** The broker's secret ball seed (AES-128 key): ball x of counter c is AES_seed(c) (see `balls.ts`). */
  seed: Uint8Array;
  t: number;
  u: number;
  v: number;
  fixed: number;
  /** First counter (inclusive). */
  start: number;
  /** Last counter (exclusive). */
  end: number;
  /** Stop at this time (ms since 1970) even before `end`: used to measure speed for a fixed time. */
  deadline?: number;
  /** Hashing loop; default: see `resolveKernel` in `native.ts`. */
  kernel?: MintKernel;
}

/** Progress: hashes done since the previous report. */
export interface ProgressMessage {
  type: 'progress';
  hashes: number;
}

/**
 * The result: for each slot (superbin * 2^v + sub-bin) first reached in this range, the smallest counter
 * that reached it, in increasing counter order.
 */
export interface DoneMessage {
  type: 'done';
  hashes: number;
  /** Hashes whose top t bits matched the fixed pattern. */
  ballsCounted: number;
  slots: Uint32Array;
  counters: Float64Array;
  /** Time spent hashing, in ms (excludes thread start-up). */
  elapsedMs: number;
  /** The hashing loop that ran. */
  kernel: MintKernel;
}

/** Anything a worker posts. */
export type WorkerMessage = ProgressMessage | DoneMessage;

/** Hashes between two progress reports. */
export const PROGRESS_EVERY = 1 << 16;
