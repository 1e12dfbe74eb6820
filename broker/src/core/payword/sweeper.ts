/**
 * The release sweep's timer: chains are released when the broker starts and then on an interval, so the
 * unspent hold of a user who never comes back still returns to their balance. The timer is unref'd (it
 * never keeps a process alive) and stopped by `Broker.close()`.
 *
 * Why half the grace, between 1 s and 60 s: a hold is due back `chainGraceSeconds` after expiry; the
 * account page and every authorization release a user's own chains at once anyway, so the timer only has
 * to be prompt for balances nobody is looking at.
 * @module
 */
import type { BrokerContext } from '../context.ts';
import { releaseDueChains } from './release.ts';

/** A running sweep. */
export interface Sweep {
  /** Stops the timer; resolves once the sweep running now, if any, has finished (then close the store). */
  stop(): Promise<void>;
}

/** The sweep's interval in ms for a clearing grace of `graceSeconds`. */
export const sweepIntervalMs = (graceSeconds: number): number => Math.min(60_000, Math.max(1000, (graceSeconds * 1000) / 2));

/**
 * Releases what is due now, then every {@link sweepIntervalMs}. A failed sweep is logged and tried again
 * at the next tick (nothing is half done: each release is one transaction). Sweeps never overlap: a tick
 * while one runs is skipped. Once stopped, nothing more is logged (a sweep the closing store cut short).
 * @example
 * const sweep = startReleaseSweep(ctx);
 * await sweep.stop(); // before `await ctx.store.close()`
 */
export function startReleaseSweep(ctx: BrokerContext): Sweep {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): void => {
    if (running || stopped) return;
    running = releaseDueChains(ctx)
      .then(
        () => undefined,
        (e: unknown) => {
          if (!stopped) console.error('[broker] release sweep failed:', e);
        },
      )
      .finally(() => (running = undefined));
  };
  run();
  const timer = setInterval(run, sweepIntervalMs(ctx.chainGraceSeconds));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
