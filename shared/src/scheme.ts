/**
 * The `micromint` scheme of the x402 binding: what its requirements and payloads hold.
 * @module
 */
import { fromBase64, toBase64 } from './bytes.ts';
import { coinBytes } from './coin.ts';
import { micromintNetwork } from './network.ts';
import type { EpochParams } from './params.ts';
import { PaymentHeaderError, type PaymentPayload, type PaymentRequirements } from './x402.ts';

export const MICROMINT_SCHEME = 'micromint';
/** The asset of the scheme: one coin of the broker's current epoch. */
export const MICROMINT_ASSET = 'micromint-coin';
/** Most coins one payment may carry. */
export const MAX_COINS_PER_PAYMENT = 1000;

/** `extra` of a micromint requirement. */
export interface MicroMintExtra {
  broker: string;
  epoch: string;
  vendorId: string;
}

/**
 * The requirement a vendor offers for `price` coins.
 * @example
 * micromintRequirements({ price: 2, vendorId: 'http://127.0.0.1:4001', broker: 'http://127.0.0.1:4000', epoch: '2026-11' });
 */
export function micromintRequirements(o: {
  price: number;
  vendorId: string;
  broker: string;
  epoch: string;
  maxTimeoutSeconds?: number;
}): PaymentRequirements {
  return {
    scheme: MICROMINT_SCHEME,
    network: micromintNetwork(o.broker),
    amount: String(o.price),
    asset: MICROMINT_ASSET,
    payTo: o.vendorId,
    maxTimeoutSeconds: o.maxTimeoutSeconds ?? 60,
    extra: { broker: o.broker, epoch: o.epoch, vendorId: o.vendorId } satisfies MicroMintExtra,
  };
}

/** Reads the micromint fields of a requirement; throws {@link PaymentHeaderError} when they are not there. */
export function readMicromintRequirements(r: PaymentRequirements): { price: number } & MicroMintExtra {
  const extra = r.extra ?? {};
  if (r.scheme !== MICROMINT_SCHEME) throw new PaymentHeaderError(`scheme ${r.scheme} is not ${MICROMINT_SCHEME}`);
  for (const f of ['broker', 'epoch', 'vendorId'] as const)
    if (typeof extra[f] !== 'string' || !extra[f]) throw new PaymentHeaderError(`extra.${f} is required`);
  return { price: Number(r.amount), broker: extra.broker as string, epoch: extra.epoch as string, vendorId: extra.vendorId as string };
}

/** The `payload` of a micromint payment. */
export interface MicroMintPayload {
  epoch: string;
  userId: string;
  /** Each coin as base64 of its k balls. */
  coins: string[];
}

/** Builds the scheme payload for `coins`. */
export const micromintPayload = (epoch: string, userId: string, coins: Uint8Array[]): MicroMintPayload => ({
  epoch,
  userId,
  coins: coins.map(toBase64),
});

/**
 * Reads and checks the micromint payload of a payment: shape, user ID, and that each coin decodes
 * to exactly k balls of the epoch. Coins are not verified here (see `verifyCoin`).
 */
export function readMicromintPayload(
  p: Pick<EpochParams, 'k'>,
  payment: PaymentPayload,
): { epoch: string; userId: string; coins: Uint8Array[] } {
  const pl = payment.payload;
  if (typeof pl.epoch !== 'string' || !pl.epoch) throw new PaymentHeaderError('payload.epoch is required');
  if (typeof pl.userId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(pl.userId))
    throw new PaymentHeaderError('payload.userId must be 1 to 128 printable characters');
  if (!Array.isArray(pl.coins) || pl.coins.length === 0 || pl.coins.length > MAX_COINS_PER_PAYMENT)
    throw new PaymentHeaderError(`payload.coins must list 1 to ${MAX_COINS_PER_PAYMENT} coins`);
  const size = coinBytes(p);
  const coins = pl.coins.map((c, i) => {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(c as string);
    } catch {
      throw new PaymentHeaderError(`payload.coins[${i}] is not base64`);
    }
    if (bytes.length !== size) throw new PaymentHeaderError(`payload.coins[${i}] must be ${size} bytes`);
    return bytes;
  });
  return { epoch: pl.epoch, userId: pl.userId, coins };
}
