/**
 * The `payword` scheme of the x402 binding: what its requirements (the 402's offer) and payloads
 * (the revealed link) hold. Bytes travel as standard padded base64, the chain id as hex.
 * @module
 */
import { fromBase64, fromHex, toBase64, toHex } from '../bytes.ts';
import { PaymentHeaderError, type PaymentPayload, type PaymentRequirements } from '../x402.ts';
import { micromintNetwork } from '../network.ts';
import { LINK_BYTES, MAX_CHAIN_LENGTH } from './chain.ts';
import { CHAIN_ID_PATTERN, MAX_LINK_VALUE, X25519_KEY_BYTES } from './commitment.ts';
import { MAC_BYTES } from './mac.ts';
import { SIGNATURE_BYTES } from './signatures.ts';

export const PAYWORD_SCHEME = 'payword';
/** The asset: mills, paid as links worth `extra.linkValue` mills each. */
export const PAYWORD_ASSET = 'mill';
/** Longest commitment a payload may carry, in bytes (3 text fields of at most 256 bytes and 160 bytes of keys and numbers fit). */
export const MAX_COMMITMENT_BYTES = 1024;

/** `extra` of a payword requirement. */
export interface PaywordExtra {
  broker: string;
  vendorId: string;
  /** The vendor's X25519 public key, base64; the broker authorizes chains only to the registered one. */
  vendorKey: string;
  /** Mills per link the vendor takes. */
  linkValue: number;
  /** Links this price costs: ceil(amount / linkValue). */
  units: number;
}

/** Links a price of `price` mills costs at `linkValue` mills a link. */
export const unitsFor = (price: number, linkValue: number): number => Math.ceil(price / linkValue);

/**
 * The requirement a vendor offers for `price` mills.
 * @example
 * paywordRequirements({ price: 2, vendorId: 'http://127.0.0.1:4001', broker: 'http://127.0.0.1:4000', vendorKey, linkValue: 1 });
 */
export function paywordRequirements(o: {
  price: number;
  vendorId: string;
  broker: string;
  vendorKey: Uint8Array;
  linkValue: number;
  maxTimeoutSeconds?: number;
}): PaymentRequirements {
  return {
    scheme: PAYWORD_SCHEME,
    network: micromintNetwork(o.broker),
    amount: String(o.price),
    asset: PAYWORD_ASSET,
    payTo: o.vendorId,
    maxTimeoutSeconds: o.maxTimeoutSeconds ?? 60,
    extra: {
      broker: o.broker,
      vendorId: o.vendorId,
      vendorKey: toBase64(o.vendorKey),
      linkValue: o.linkValue,
      units: unitsFor(o.price, o.linkValue),
    } satisfies PaywordExtra,
  };
}

/** Reads the payword fields of a requirement; throws {@link PaymentHeaderError} when they are not there. */
export function readPaywordRequirements(r: PaymentRequirements): { price: number; vendorKeyBytes: Uint8Array } & PaywordExtra {
  if (r.scheme !== PAYWORD_SCHEME) throw new PaymentHeaderError(`scheme ${r.scheme} is not ${PAYWORD_SCHEME}`);
  const extra = r.extra ?? {};
  for (const f of ['broker', 'vendorId', 'vendorKey'] as const)
    if (typeof extra[f] !== 'string' || !extra[f]) throw new PaymentHeaderError(`extra.${f} is required`);
  const linkValue = extra.linkValue;
  if (!Number.isSafeInteger(linkValue) || (linkValue as number) < 1 || (linkValue as number) > MAX_LINK_VALUE)
    throw new PaymentHeaderError(`extra.linkValue must be a whole number of mills from 1 to ${MAX_LINK_VALUE}`);
  const price = Number(r.amount);
  const units = unitsFor(price, linkValue as number);
  if (units < 1 || units > MAX_CHAIN_LENGTH) throw new PaymentHeaderError('the price is not payable in links');
  if (extra.units !== undefined && extra.units !== units) throw new PaymentHeaderError('extra.units is not ceil(amount / linkValue)');
  const vendorKeyBytes = bytesField(extra.vendorKey, 'extra.vendorKey', X25519_KEY_BYTES);
  return {
    price,
    broker: extra.broker as string,
    vendorId: extra.vendorId as string,
    vendorKey: extra.vendorKey as string,
    vendorKeyBytes,
    linkValue: linkValue as number,
    units,
  };
}

/** The `payload` of a payword payment, as sent. */
export interface PaywordPayload {
  /** 32 lower-case hex characters. */
  chainId: string;
  /** j: the index of the revealed link, the new highest one. */
  index: number;
  /** l: links this payment pays; it claims the indices j - l + 1 .. j. */
  units: number;
  /** w_j, base64. */
  link: string;
  /** HMAC-SHA256 over the request (see `macInput`), base64. */
  mac: string;
  /** The commitment bytes, base64: on the first payment of a chain and after `unknown-chain`. */
  commitment?: string;
  /** The broker's Ed25519 authorization of the commitment, base64; with `commitment`. */
  authorization?: string;
}

/** A payword payload with its bytes decoded and its shape checked. */
export interface PaywordPayment {
  chainId: string;
  chainIdBytes: Uint8Array;
  index: number;
  units: number;
  link: Uint8Array;
  mac: Uint8Array;
  commitment?: Uint8Array;
  authorization?: Uint8Array;
}

/** Builds the payload of a payword payment. */
export function paywordPayload(p: Omit<PaywordPayment, 'chainIdBytes'>): PaywordPayload {
  const out: PaywordPayload = { chainId: p.chainId, index: p.index, units: p.units, link: toBase64(p.link), mac: toBase64(p.mac) };
  if (p.commitment) out.commitment = toBase64(p.commitment);
  if (p.authorization) out.authorization = toBase64(p.authorization);
  return out;
}

function bytesField(value: unknown, name: string, length?: number, max = MAX_COMMITMENT_BYTES): Uint8Array {
  if (typeof value !== 'string' || value.length === 0 || value.length > Math.ceil(max / 3) * 4)
    throw new PaymentHeaderError(`${name} must be base64`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(value);
  } catch {
    throw new PaymentHeaderError(`${name} is not base64`);
  }
  if (length !== undefined && bytes.length !== length) throw new PaymentHeaderError(`${name} must be ${length} bytes`);
  return bytes;
}

/**
 * Reads and checks the shape of a payword payload. Nothing is verified here (no hash, MAC or
 * signature): that is the vendor's job, in the order the spec gives.
 */
export function readPaywordPayload(payment: PaymentPayload): PaywordPayment {
  const pl = payment.payload;
  if (typeof pl.chainId !== 'string' || !CHAIN_ID_PATTERN.test(pl.chainId))
    throw new PaymentHeaderError('payload.chainId must be 32 lower-case hex characters');
  for (const f of ['index', 'units'] as const) {
    const v = pl[f];
    if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > MAX_CHAIN_LENGTH)
      throw new PaymentHeaderError(`payload.${f} must be a whole number from 1 to ${MAX_CHAIN_LENGTH}`);
  }
  if ((pl.units as number) > (pl.index as number)) throw new PaymentHeaderError('payload.units must not exceed payload.index');
  const out: PaywordPayment = {
    chainId: pl.chainId,
    chainIdBytes: fromHex(pl.chainId),
    index: pl.index as number,
    units: pl.units as number,
    link: bytesField(pl.link, 'payload.link', LINK_BYTES),
    mac: bytesField(pl.mac, 'payload.mac', MAC_BYTES),
  };
  if (pl.commitment !== undefined || pl.authorization !== undefined) {
    out.commitment = bytesField(pl.commitment, 'payload.commitment');
    out.authorization = bytesField(pl.authorization, 'payload.authorization', SIGNATURE_BYTES);
  }
  return out;
}

/** Hex of chain id bytes (re-exported for symmetry with `fromHex`). */
export const chainIdHex = (bytes: Uint8Array): string => toHex(bytes);
