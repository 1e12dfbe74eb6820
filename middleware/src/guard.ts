/**
 * Store calls made while answering a request. A store that fails (disk full, a read-only file, a
 * database gone away) must not answer Express's 500 page with the SQLite error and a stack trace:
 * its failure becomes a {@link StoreUnavailableError}, which the middleware answers
 * `503 store_unavailable` with `Retry-After` and no internals, and its cause is logged once per
 * outage (again only after a write worked in between).
 * @module
 */
import { StoreUnavailableError } from './errors.ts';
import type { MicroMintLogger } from './options.ts';

/** Runs store calls, turning failures into {@link StoreUnavailableError} and logging the first of an outage. */
export class StoreGuard {
  private failing = false;

  constructor(private readonly logger: MicroMintLogger) {}

  /**
   * Runs `call`. `what` names it in the log; `writes` says whether its success shows that the
   * store records again (a read that works says nothing about a full disk).
   */
  async run<T>(what: string, call: () => Promise<T>, writes = true): Promise<T> {
    let value: T;
    try {
      value = await call();
    } catch (e) {
      if (!this.failing) {
        this.failing = true;
        this.logger.error(
          `micromint: the payment store failed (${what}): ${describeStoreError(e)}. ` +
            'Paid URLs answer 503 store_unavailable, and take no coin, until it works again.',
        );
      }
      throw new StoreUnavailableError(`the payment store failed (${what})`, { cause: e });
    }
    if (writes && this.failing) {
      this.failing = false;
      this.logger.warn('micromint: the payment store records again');
    }
    return value;
  }
}

/** One line for the log: the error's name, code and message, never its stack. */
function describeStoreError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as Error & { code?: unknown }).code;
  return `${e.name}${typeof code === 'string' ? ` ${code}` : ''}: ${e.message}`;
}
