/**
 * What the broker publishes about its PayWord chains (`GET /api/payword`): a vendor fetches it once and
 * keeps `brokerKey`, so it verifies authorizations without a broker call; a wallet reads the bounds before
 * it proposes a chain (a commitment beyond them is refused).
 * @module
 */
import { MAX_LINK_VALUE, micromintNetwork, toBase64, type PaywordInfo } from '@micromint/shared';
import type { BrokerContext } from '../context.ts';
import { brokerKeyPair } from './keys.ts';

/** The answer of `GET /api/payword`: its shape is shared with vendors and wallets. */
export type { PaywordInfo };

/** The broker's PayWord parameters and key. */
export async function paywordInfo(ctx: BrokerContext): Promise<PaywordInfo> {
  const { publicKey } = await brokerKeyPair(ctx.store, ctx.now());
  return {
    broker: ctx.publicUrl,
    network: micromintNetwork(ctx.publicUrl),
    brokerKey: toBase64(publicKey),
    maxLength: ctx.maxChainLength,
    maxValue: MAX_LINK_VALUE,
    maxExpirySeconds: ctx.maxChainExpirySeconds,
    clearGraceSeconds: ctx.chainGraceSeconds,
  };
}
