/**
 * What a broker publishes about chains at `GET /api/payword`: vendors keep it to verify
 * authorizations offline, wallets to bound the chains they propose.
 * @module
 */

/** The answer of `GET /api/payword`. */
export interface PaywordInfo {
  /** The broker's URL, as commitments must name it. */
  broker: string;
  /** The broker's network id, `micromintNetwork(broker)`, as in the 402's `network`. */
  network: string;
  /** The Ed25519 key authorizations verify under, base64 of 32 bytes. */
  brokerKey: string;
  /** Most links in a chain. */
  maxLength: number;
  /** Most mills per link. */
  maxValue: number;
  /** Latest expiry a chain may name, in seconds from its authorization. */
  maxExpirySeconds: number;
  /** Seconds after a chain's expiry during which its vendor may still clear it; then the hold goes back to the user. */
  clearGraceSeconds: number;
}
