/**
 * The network id of a broker, as `accepts[].network` and receipts carry it: a CAIP-2 chain id
 * (`namespace:reference`) derived from the broker's origin, the same for both schemes
 * (docs/protocol.md section 9, "The network id"):
 *
 *     network = "mmint:" || base64url( SHA-256( T_net || 0x00 || utf8(origin) )[0 .. 15] )
 *
 * `T_net` is the 12 ASCII bytes `MMv1/network`; the 16 bytes are encoded without padding, so the
 * reference is 22 characters of `[A-Za-z0-9_-]`. The broker's URL itself travels in `extra.broker`.
 * @module
 */
import { sha256 } from './hash.ts';
import { base64urlnopad } from '@scure/base';
import { concat, utf8 } from './bytes.ts';

/** The CAIP-2 namespace of MicroMint brokers (CAIP-2 namespaces are 3 to 8 characters: `micromint` is 9). */
export const MICROMINT_NAMESPACE = 'mmint';
/** The tag that keeps network-id hashes apart from the protocol's other hashes. */
export const NETWORK_TAG = 'MMv1/network';
/** Bytes of the digest the reference keeps: 16 bytes, 22 base64url characters. */
export const NETWORK_DIGEST_BYTES = 16;

/**
 * A CAIP-2 chain id: a namespace of 3 to 8 characters of `[-a-z0-9]`, a colon, and a reference of
 * 1 to 32 characters of `[-_a-zA-Z0-9]`.
 */
export const CAIP2_PATTERN = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;

/**
 * True when `value` is a CAIP-2 chain id (see {@link CAIP2_PATTERN}).
 * @example
 * isCaip2Network('eip155:8453'); // true
 * isCaip2Network('micromint:http://127.0.0.1:4000'); // false
 */
export const isCaip2Network = (value: unknown): value is string => typeof value === 'string' && CAIP2_PATTERN.test(value);

/** Throws `TypeError` unless `value` is a string, and `RangeError` unless it is a CAIP-2 chain id. */
export function assertCaip2Network(value: unknown, name = 'network'): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (!CAIP2_PATTERN.test(value))
    throw new RangeError(`${name} must be a CAIP-2 chain id (namespace:reference), got ${JSON.stringify(value.slice(0, 100))}`);
}

/**
 * The origin of a broker URL as the network id hashes it: the ASCII serialization of the URL's origin
 * (scheme, host and port; lower case, the default port left out, no path or trailing slash).
 * Throws `TypeError` for a string that is not a URL, `RangeError` for one that is not http(s).
 * @example
 * brokerOrigin('HTTP://Broker.example:80/mint/'); // 'http://broker.example'
 */
export function brokerOrigin(broker: string): string {
  let url: URL;
  try {
    url = new URL(broker);
  } catch {
    throw new TypeError(`the broker must be a URL, got ${JSON.stringify(String(broker).slice(0, 100))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`the broker must be an http(s) URL, got ${url.protocol}`);
  return url.origin;
}

/** The bytes the network id hashes: `T_net || 0x00 || utf8(origin)`. */
export const networkPreimage = (origin: string): Uint8Array => concat(utf8(NETWORK_TAG), new Uint8Array([0]), utf8(origin));

/**
 * The network id of the broker at `broker` (any URL of it: only its origin counts), e.g.
 * `mmint:` followed by 22 base64url characters. Every producer and checker of `network` calls this.
 * @example
 * micromintNetwork('http://127.0.0.1:4000'); // 'mmint:' + 22 characters, the same for 'http://127.0.0.1:4000/'
 */
export function micromintNetwork(broker: string): string {
  const digest = sha256(networkPreimage(brokerOrigin(broker)));
  return `${MICROMINT_NAMESPACE}:${base64urlnopad.encode(digest.subarray(0, NETWORK_DIGEST_BYTES))}`;
}
