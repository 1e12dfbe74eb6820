/**
 * Errors the broker's operations raise for a caller to show: an HTTP status, a stable code, a message,
 * and for some codes a few more fields a client acts on (e.g. `returnsFrom` of `returns_not_open`).
 * @module
 */

/** A refusal the caller caused (bad input, missing funds, unknown thing...). */
export class BrokerError extends Error {
  override name = 'BrokerError';
  /**
   * @param status - HTTP status that fits (400, 401, 403, 404, 409, 413, 415, 422, 429)
   * @param code - stable machine-readable code, e.g. `insufficient_funds`
   * @param details - extra JSON fields of the API answer, beside `error` and `message` (which they cannot replace)
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, string | number | boolean | null>> = {},
  ) {
    super(message);
  }
}
