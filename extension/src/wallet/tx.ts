/**
 * Transaction helpers.
 * @module
 */

/** Aborts a transaction that may already be finished, keeping the caller's original error. */
export function abortQuietly(tx: { abort(): void; done: Promise<void> }): void {
  tx.done.catch(() => undefined);
  try {
    tx.abort();
  } catch {
    // Already committed or aborted.
  }
}
