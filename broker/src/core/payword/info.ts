/**
 * What the broker publishes about its PayWord chains (`GET /api/payword`): a vendor fetches it once and
 * keeps `brokerKey`, so it verifies authorizations without a broker call; a wallet reads the bounds before
 * it proposes a chain (a commitment beyond them is refused).
 * @module
 */
import { MAX_LINK_VALUE, micromintNetwork, toBase64 } from '@micromint/shared';
import type { BrokerContext } from '../context.ts';
import { brokerKeyPair } from './keys.ts';

/** The answer of `GET /api/payword`. */
export interface PaywordInfo {
  /** The broker's URL, as commitments must name it. */
  broker: string;
  /** `micromint:<broker origin>`, as in the 402's `network`. */
  network: string;
  /** The Ed25519 key authorizations verify under, base64 of 32 bytes. */
  brokerKey: string;
  /** Most links in a chain. */
  maxLength: number;
  /** Most mills per link. */
  maxValue: number;
  /** Latest expiry a chain may name, in seconds from its authorization. */
  maxExpirySeconds: number;
  /** Seconds after a chain's expiry during which its vendor may still clear it. */
  clearGraceSeconds: number;
}

/** The broker's PayWord parameters and key. */
export function paywordInfo(ctx: BrokerContext): PaywordInfo {
  return {
    broker: ctx.publicUrl,
    network: micromintNetwork(ctx.publicUrl),
    brokerKey: toBase64(brokerKeyPair(ctx.store, ctx.now()).publicKey),
    maxLength: ctx.maxChainLength,
    maxValue: MAX_LINK_VALUE,
    maxExpirySeconds: ctx.maxChainExpirySeconds,
    clearGraceSeconds: ctx.chainGraceSeconds,
  };
}
