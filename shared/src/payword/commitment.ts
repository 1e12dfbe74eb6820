/**
 * The commitment to a chain: what the wallet proposes, the broker authorizes, and the vendor keeps.
 * Its exact bytes (docs/protocol.md, PayWord section) are what both signatures cover.
 * @module
 */
import { sha256 } from '../hash.ts';
import { abytes, aint, astring } from '../assert.ts';
import { concat, fromUtf8, toHex, utf8 } from '../bytes.ts';
import { LINK_BYTES, MAX_CHAIN_LENGTH, SALT_BYTES } from './chain.ts';

/** Tag that starts a commitment: "PWv1/commitment" and a zero byte. */
export const COMMITMENT_TAG = utf8('PWv1/commitment\0');
/** Bytes of an X25519 public key. */
export const X25519_KEY_BYTES = 32;
/** Bytes of a chain id (hex of it: 32 characters). */
export const CHAIN_ID_BYTES = 16;
/** Most mills one link may be worth. */
export const MAX_LINK_VALUE = 1_000_000;
/** Longest text field (broker, user ID, vendor ID) in UTF-8 bytes: a commitment stays under 1 KiB, so a payment carrying it fits the 8 KiB payment header. */
export const MAX_COMMITMENT_TEXT = 256;

/** A chain commitment, decoded. */
export interface Commitment {
  /** The broker's URL, as in the 402's `extra.broker`. */
  broker: string;
  userId: string;
  /** The vendor's origin. */
  vendorId: string;
  /** The vendor's X25519 public key, as registered at the broker. */
  vendorKey: Uint8Array;
  /** The wallet's X25519 public key for this chain (key agreement for the payment MAC). */
  walletKey: Uint8Array;
  /** w_0. */
  root: Uint8Array;
  salt: Uint8Array;
  /** n: links in the chain. */
  length: number;
  /** Mills per link. */
  value: number;
  /** Unix time in seconds after which no link is accepted. */
  expiresAt: number;
}

function text(field: string, name: string): Uint8Array {
  astring(field, name, MAX_COMMITMENT_TEXT);
  const bytes = utf8(field);
  if (bytes.length > MAX_COMMITMENT_TEXT) throw new RangeError(`${name} is longer than ${MAX_COMMITMENT_TEXT} bytes`);
  return concat(new Uint8Array([bytes.length >>> 8, bytes.length & 0xff]), bytes);
}

function uint(value: number, bytes: 4 | 8): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  if (bytes === 4) view.setUint32(0, value);
  else view.setBigUint64(0, BigInt(value));
  return out;
}

/**
 * The exact bytes of a commitment.
 * @throws TypeError / RangeError for a field out of its range.
 * @example
 * const bytes = encodeCommitment({ broker, userId, vendorId, vendorKey, walletKey, root, salt, length: 100, value: 1, expiresAt });
 */
export function encodeCommitment(c: Commitment): Uint8Array {
  abytes(c.vendorKey, X25519_KEY_BYTES, 'vendorKey');
  abytes(c.walletKey, X25519_KEY_BYTES, 'walletKey');
  abytes(c.root, LINK_BYTES, 'root');
  abytes(c.salt, SALT_BYTES, 'salt');
  aint(c.length, 1, MAX_CHAIN_LENGTH, 'length');
  aint(c.value, 1, MAX_LINK_VALUE, 'value');
  aint(c.expiresAt, 1, 2 ** 40, 'expiresAt');
  return concat(
    COMMITMENT_TAG,
    text(c.broker, 'broker'),
    text(c.userId, 'userId'),
    text(c.vendorId, 'vendorId'),
    c.vendorKey,
    c.walletKey,
    c.root,
    c.salt,
    uint(c.length, 4),
    uint(c.value, 4),
    uint(c.expiresAt, 8),
  );
}

/**
 * Reads commitment bytes strictly: the tag, every field in range, nothing left over.
 * @throws RangeError when the bytes are not a commitment.
 */
export function decodeCommitment(bytes: Uint8Array): Commitment {
  abytes(bytes, undefined, 'commitment');
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new RangeError('commitment is truncated');
    const out = new Uint8Array(n);
    out.set(bytes.subarray(at, at + n));
    at += n;
    return out;
  };
  const tag = take(COMMITMENT_TAG.length);
  if (!tag.every((b, i) => b === COMMITMENT_TAG[i])) throw new RangeError('commitment does not start with PWv1/commitment');
  const str = (): string => {
    const len = take(2);
    return fromUtf8(take((len[0]! << 8) | len[1]!));
  };
  const broker = str();
  const userId = str();
  const vendorId = str();
  const vendorKey = take(X25519_KEY_BYTES);
  const walletKey = take(X25519_KEY_BYTES);
  const root = take(LINK_BYTES);
  const salt = take(SALT_BYTES);
  const view = new DataView(take(16).buffer);
  const length = view.getUint32(0);
  const value = view.getUint32(4);
  const expiresAt = Number(view.getBigUint64(8));
  if (at !== bytes.length) throw new RangeError('commitment has trailing bytes');
  const c: Commitment = { broker, userId, vendorId, vendorKey, walletKey, root, salt, length, value, expiresAt };
  encodeCommitment(c); // the same range checks as for encoding
  return c;
}

/** Tag of the chain id hash: "PWv1/chain-id" and a zero byte. */
export const CHAIN_ID_TAG = utf8('PWv1/chain-id\0');

/**
 * The chain id: the first 16 bytes of SHA-256("PWv1/chain-id" || 0x00 || commitment bytes).
 * @example
 * toHex(chainIdBytes(bytes)); // 32 hex characters, the `chainId` of payments
 */
export const chainIdBytes = (commitment: Uint8Array): Uint8Array => sha256(concat(CHAIN_ID_TAG, commitment)).slice(0, CHAIN_ID_BYTES);

/** The chain id as 32 lower-case hex characters. */
export const chainIdOf = (commitment: Uint8Array): string => toHex(chainIdBytes(commitment));

/** A chain id string: 32 lower-case hex characters. */
export const CHAIN_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Mills a chain holds in all: length * value. */
export const chainMills = (c: Pick<Commitment, 'length' | 'value'>): number => c.length * c.value;
