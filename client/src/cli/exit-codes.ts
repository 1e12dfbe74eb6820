/**
 * What `micromint-wallet` exits with, so scripts can tell a refused payment from a broken network.
 * @module
 */
import { BrokerError, CapExceededError, InsufficientFundsError, UnpayableError } from '../errors.ts';

/** The exit codes. */
export const EXIT = Object.freeze({
  /** Done (for `get`: the site answered 2xx or 3xx). */
  ok: 0,
  /** Something failed: a broker error, a wallet error, a site that answered 4xx or 5xx. */
  error: 1,
  /** The command line is wrong (unknown command or option, a bad value). */
  usage: 2,
  /** A payment was not made: over a cap or `--max-price`, not enough funds, an offer the wallet cannot pay, or the vendor refused it. */
  refused: 3,
  /** The broker or the site could not be reached. */
  network: 4,
});

/** A command line that cannot be run. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The exit code an error means. */
export function exitCodeOf(e: unknown): number {
  if (isNetworkError(e)) return EXIT.network;
  if (e instanceof UsageError || e instanceof TypeError || e instanceof RangeError) return EXIT.usage;
  if (e instanceof CapExceededError || e instanceof InsufficientFundsError || e instanceof UnpayableError) return EXIT.refused;
  if (e instanceof BrokerError)
    return e.code === 'broker-unreachable'
      ? EXIT.network
      : e.code === 'spending_limit' || e.code === 'insufficient_funds'
        ? EXIT.refused
        : EXIT.error;
  return EXIT.error;
}

/** The sentence for an error: a network failure says what could not be reached and why. */
export function messageOf(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  if (isNetworkError(e)) return `the site could not be reached (${err.cause?.code ?? err.cause?.message ?? err.message})`;
  return err?.message ?? String(e);
}

/** True for a fetch that failed on the network (refused, reset, no such host, timed out). */
export function isNetworkError(e: unknown): boolean {
  const err = e as { name?: string; message?: string; cause?: { code?: string } };
  return (
    (err?.name === 'TypeError' && err.message === 'fetch failed') || err?.name === 'TimeoutError' || typeof err?.cause?.code === 'string'
  );
}
