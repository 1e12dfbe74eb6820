/**
 * Typed errors of the vendor middleware. Request failures that belong to the site (a `.mm` file
 * asked for directly, a broken price file) reach Express's error handling as {@link MicroMintHttpError}
 * with a `status`, like serve-static's; payment protocol failures are answered directly in JSON.
 * @module
 */

/** An HTTP failure handed to `next(err)`: Express (4 and 5) answers with `status`. */
export class MicroMintHttpError extends Error {
  override name = 'MicroMintHttpError';
  /** Whether `message` may be shown to the client (Express's default handler reads `expose`). */
  readonly expose: boolean;
  constructor(
    /** HTTP status code. */
    readonly status: number,
    /** Machine-readable code, e.g. `price_file_invalid`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.expose = status < 500;
  }
  /** Same as `status`, for handlers that read `statusCode`. */
  get statusCode(): number {
    return this.status;
  }
}

/** A price that is not a whole number of coins: a broken `.mm` file or a bad `prices` function result. */
export class PriceConfigError extends Error {
  override name = 'PriceConfigError';
  constructor(
    /** Where the price came from: the absolute path of the `.mm` file, or `prices function`. */
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
  }
}

/** The broker could not be reached or did not answer as the contract says. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

/** The broker has no epoch that is still valid, so no payment can be asked for. */
export class NoCurrentEpochError extends Error {
  override name = 'NoCurrentEpochError';
}

/** A redemption that did not complete; the coins it concerns stay pending (nothing is dropped). */
export class RedeemError extends Error {
  override name = 'RedeemError';
  constructor(
    message: string,
    /** The batch that was being sent, to be retried with the same id. */
    readonly batchId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The store could not be read or written (disk full, a read-only file, a database gone away).
 * Paid URLs answer `503 store_unavailable` with `Retry-After`; nothing was taken. `cause` holds the
 * store's own error, which is logged once and never sent to the client.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
