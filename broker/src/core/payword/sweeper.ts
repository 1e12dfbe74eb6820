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
  stop(): void;
}

/** The sweep's interval in ms for a clearing grace of `graceSeconds`. */
export const sweepIntervalMs = (graceSeconds: number): number => Math.min(60_000, Math.max(1000, (graceSeconds * 1000) / 2));

/**
 * Releases what is due now, then every {@link sweepIntervalMs}. A failed sweep is logged and tried again
 * at the next tick (nothing is half done: each release is one transaction).
 */
export function startReleaseSweep(ctx: BrokerContext): Sweep {
  const run = (): void => {
    try {
      releaseDueChains(ctx);
    } catch (e) {
      console.error('[broker] release sweep failed:', e);
    }
  };
  run();
  const timer = setInterval(run, sweepIntervalMs(ctx.chainGraceSeconds));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
