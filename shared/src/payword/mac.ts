/**
 * Binding a revealed link to the exact request (the iKP report's micro-DESC, section 4.4): the
 * wallet and the vendor agree a key per chain without a round trip, X25519(wallet's chain key,
 * vendor's registered key), and every payment carries an HMAC over chain, index, units, link,
 * method and URL. A link copied off one request cannot pay for another.
 * @module
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/curves/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, aint, astring } from '../assert.ts';
import { concat, utf8 } from '../bytes.ts';
import { LINK_BYTES, MAX_CHAIN_LENGTH } from './chain.ts';
import { CHAIN_ID_BYTES, X25519_KEY_BYTES } from './commitment.ts';

/** HKDF info of the MAC key: "PWv1/mac". */
export const MAC_KEY_INFO = utf8('PWv1/mac');
/** Tag that starts the MAC input: "PWv1/pay" and a zero byte. */
export const PAY_TAG = utf8('PWv1/pay\0');
/** Bytes of the MAC key and of the MAC. */
export const MAC_BYTES = 32;
/** Longest method and URL bound by the MAC, in UTF-8 bytes. */
export const MAX_MAC_URL = 4096;

/** A fresh X25519 key pair (for a vendor, or for one chain of a wallet). */
export function newAgreementKey(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** The X25519 public key of a 32-byte secret key. */
export const agreementPublicKey = (secretKey: Uint8Array): Uint8Array => x25519.getPublicKey(secretKey);

/**
 * The chain's MAC key: HKDF-SHA256(ikm = X25519(ourSecret, theirPublic), salt = chain id bytes,
 * info = "PWv1/mac", 32 bytes). The wallet passes (chain secret, vendor key), the vendor
 * (its secret, the commitment's walletKey); both get the same key.
 * @throws RangeError when the shared secret is all zero (a low-order public key).
 * @example
 * const k = macKey(walletChainSecret, vendorKey, chainIdBytes(commitment));
 */
export function macKey(ourSecret: Uint8Array, theirPublic: Uint8Array, chainId: Uint8Array): Uint8Array {
  abytes(theirPublic, X25519_KEY_BYTES, 'public key');
  abytes(chainId, CHAIN_ID_BYTES, 'chainId');
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ourSecret, theirPublic);
  } catch {
    throw new RangeError('the public key gives no shared secret');
  }
  if (shared.every((b) => b === 0)) throw new RangeError('the public key gives no shared secret');
  return hkdf(sha256, shared, chainId, MAC_KEY_INFO, MAC_BYTES);
}

/** What a payment's MAC covers. */
export interface MacInput {
  chainId: Uint8Array;
  index: number;
  units: number;
  link: Uint8Array;
  /** HTTP method, upper case. */
  method: string;
  /** The absolute URL paid for (the challenge's `resource.url`). */
  url: string;
}

const u16 = (n: number): Uint8Array => new Uint8Array([n >>> 8, n & 0xff]);
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
function text(value: string, name: string): Uint8Array {
  astring(value, name, MAX_MAC_URL);
  const b = utf8(value);
  if (b.length > MAX_MAC_URL) throw new RangeError(`${name} is longer than ${MAX_MAC_URL} bytes`);
  return concat(u16(b.length), b);
}

/**
 * The MAC input: "PWv1/pay\0" || chainId (16) || uint32be index || uint32be units || link (32)
 * || uint16be len || method || uint16be len || url.
 */
export function macInput(m: MacInput): Uint8Array {
  abytes(m.chainId, CHAIN_ID_BYTES, 'chainId');
  aint(m.index, 1, MAX_CHAIN_LENGTH, 'index');
  aint(m.units, 1, MAX_CHAIN_LENGTH, 'units');
  abytes(m.link, LINK_BYTES, 'link');
  return concat(PAY_TAG, m.chainId, u32(m.index), u32(m.units), m.link, text(m.method, 'method'), text(m.url, 'url'));
}

/**
 * HMAC-SHA256(key, macInput(m)).
 * @example
 * const mac = paymentMac(k, { chainId, index: 3, units: 1, link: w3, method: 'GET', url: 'https://shop.example/a' });
 */
export function paymentMac(key: Uint8Array, m: MacInput): Uint8Array {
  abytes(key, MAC_BYTES, 'key');
  return hmac(sha256, key, macInput(m));
}

/** True when `mac` is the payment's MAC under `key` (compared in constant time). */
export function verifyPaymentMac(key: Uint8Array, m: MacInput, mac: Uint8Array): boolean {
  if (!(mac instanceof Uint8Array) || mac.length !== MAC_BYTES) return false;
  try {
    return equalBytes(paymentMac(key, m), mac);
  } catch {
    return false;
  }
}
