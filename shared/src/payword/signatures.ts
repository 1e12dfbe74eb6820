/**
 * The two Ed25519 signatures over a commitment: the wallet's request (signed with the wallet key
 * registered to the user's account) and the broker's authorization (the vendor checks it once per
 * chain). Each signs a tag and the commitment bytes, so neither can stand for the other.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { abytes } from '../assert.ts';
import { concat, utf8 } from '../bytes.ts';

/** Tag the wallet signs before the commitment: "PWv1/request" and a zero byte. */
export const REQUEST_TAG = utf8('PWv1/request\0');
/** Tag the broker signs before the commitment: "PWv1/authorization" and a zero byte. */
export const AUTHORIZATION_TAG = utf8('PWv1/authorization\0');
/** Bytes of an Ed25519 public key. */
export const ED25519_KEY_BYTES = 32;
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/** A fresh Ed25519 key pair (secret key: 32 bytes). */
export function newSigningKey(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/**
 * True when `key` is 32 bytes that decode to a point of Ed25519: a key a signature can verify under.
 * Lets a broker refuse a wallet key that could never sign anything before it takes a slot.
 */
export function isSigningPublicKey(key: unknown): key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== ED25519_KEY_BYTES) return false;
  try {
    ed25519.Point.fromBytes(key);
    return true;
  } catch {
    return false;
  }
}

/** The Ed25519 public key of a 32-byte secret key. */
export const signingPublicKey = (secretKey: Uint8Array): Uint8Array => ed25519.getPublicKey(secretKey);

function verify(tag: Uint8Array, publicKey: Uint8Array, signature: Uint8Array, commitment: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_BYTES) return false;
  try {
    return ed25519.verify(signature, concat(tag, commitment), publicKey);
  } catch {
    return false;
  }
}

/**
 * The wallet's request for authorization: Ed25519 over "PWv1/request\0" || commitment.
 * @example
 * const sig = signRequest(walletSecret, encodeCommitment(c));
 */
export function signRequest(walletSecret: Uint8Array, commitment: Uint8Array): Uint8Array {
  abytes(commitment, undefined, 'commitment');
  return ed25519.sign(concat(REQUEST_TAG, commitment), walletSecret);
}

/** True when `signature` is the wallet's request for `commitment` under `walletKey`. */
export const verifyRequest = (walletKey: Uint8Array, signature: Uint8Array, commitment: Uint8Array): boolean =>
  verify(REQUEST_TAG, walletKey, signature, commitment);

/** The broker's authorization: Ed25519 over "PWv1/authorization\0" || commitment. */
export function signAuthorization(brokerSecret: Uint8Array, commitment: Uint8Array): Uint8Array {
  abytes(commitment, undefined, 'commitment');
  return ed25519.sign(concat(AUTHORIZATION_TAG, commitment), brokerSecret);
}

/** True when `signature` is the broker's authorization of `commitment` under `brokerKey`. */
export const verifyAuthorization = (brokerKey: Uint8Array, signature: Uint8Array, commitment: Uint8Array): boolean =>
  verify(AUTHORIZATION_TAG, brokerKey, signature, commitment);
