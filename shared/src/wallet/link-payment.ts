/**
 * The `payword` payment a wallet sends (docs/protocol.md 12.6): the link at the end of the range,
 * its MAC over the request's method and URL, and, while the vendor has not been seen to know the
 * chain, its commitment and the broker's authorization.
 * @module
 */
import { toBase64, fromHex } from '../bytes.ts';
import { linkAt } from '../payword/chain.ts';
import { paymentMac } from '../payword/mac.ts';
import { paywordPayload } from '../payword/scheme.ts';
import { X402_VERSION, type PaymentPayload, type PaymentRequirements } from '../x402.ts';
import type { WalletChain } from './chain-record.ts';

/** What one link payment is for. */
export interface LinkPaymentFor {
  /** j: the link revealed (the end of the range). */
  index: number;
  /** Links the payment pays. */
  units: number;
  /** The request's method, upper case: the MAC binds it. */
  method: string;
  /** The challenge's `resource.url`: the MAC binds it byte for byte, the payload names it. */
  resourceUrl: string;
  /** The `accepts` entry paid, echoed as `accepted`. */
  requirement: PaymentRequirements;
  /** Carry the commitment and authorization (when the chain has one). */
  withCommitment: boolean;
}

/**
 * The payload that reveals link `index` of `chain` for one request.
 * @example
 * const header = encodeHeader(linkPayload(chain, { index: 3, units: 1, method: 'GET', resourceUrl, requirement, withCommitment: true }));
 */
export function linkPayload(
  chain: Pick<WalletChain, 'id' | 'salt' | 'checkpoints' | 'macKey' | 'commitment' | 'authorization'>,
  r: LinkPaymentFor,
): PaymentPayload {
  const link = linkAt(chain.salt, chain.checkpoints, r.index);
  const mac = paymentMac(chain.macKey, {
    chainId: fromHex(chain.id),
    index: r.index,
    units: r.units,
    link,
    method: r.method,
    url: r.resourceUrl,
  });
  const commitment = r.withCommitment && chain.authorization ? { commitment: chain.commitment, authorization: chain.authorization } : {};
  return {
    x402Version: X402_VERSION,
    resource: { url: r.resourceUrl },
    accepted: r.requirement,
    payload: { ...paywordPayload({ chainId: chain.id, index: r.index, units: r.units, link, mac, ...commitment }) },
  };
}

/**
 * The same payment (index, link and MAC as sent) with the commitment and authorization added: what
 * goes out, once, after a vendor answered `unknown-chain`.
 * @throws RangeError when the chain has no authorization.
 * @example
 * const again = encodeHeader(withCommitment(decodePaymentPayload(sentHeader), chain));
 */
export function withCommitment(sent: PaymentPayload, chain: Pick<WalletChain, 'commitment' | 'authorization'>): PaymentPayload {
  if (!chain.authorization) throw new RangeError('the chain has no authorization');
  return { ...sent, payload: { ...sent.payload, commitment: toBase64(chain.commitment), authorization: toBase64(chain.authorization) } };
}
