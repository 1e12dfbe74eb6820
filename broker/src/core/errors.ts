/**
 * Errors the broker's operations raise for a caller to show: an HTTP status, a stable code, a message.
 * @module
 */

/** A refusal the caller caused (bad input, missing funds, unknown thing...). */
export class BrokerError extends Error {
  override name = 'BrokerError';
  /**
   * @param status - HTTP status that fits (400, 401, 403, 404, 409, 413, 415, 422)
   * @param code - stable machine-readable code, e.g. `insufficient_funds`
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
