/**
 * Node's native SHA-256 where there is one. `node:crypto`'s one-shot `hash()` runs in C++ and
 * allocates one buffer; `@noble/hashes` (what browsers use) does the same work in JavaScript,
 * about half as fast on the 52-byte ball preimages a vendor hashes for every coin. The module is
 * looked up at run time through `process.getBuiltinModule` (Node 20.16+), never imported, so a
 * browser bundle neither pulls `node:crypto` in nor needs a shim for it; older Node versions and
 * browsers get `undefined` and hash with noble. Both give the same 32 bytes.
 * @module
 */

/** A SHA-256 function: the 32-byte digest of `data`. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

type OneShotHash = (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'buffer') => Uint8Array;

/** The bits of a Node-like global this module reads. */
export interface BuiltinHost {
  process?: { getBuiltinModule?: (id: string) => unknown };
}

/**
 * Node's SHA-256 (a plain `Uint8Array` view of the digest, like noble's), or `undefined` where
 * `host` has no `node:crypto` with a one-shot `hash` (browsers, Node before 20.16).
 * @example
 * const native = nodeSha256(); // undefined in a browser
 * native?.(new Uint8Array(52)).length; // 32
 */
export function nodeSha256(host: BuiltinHost = globalThis as BuiltinHost): Sha256 | undefined {
  let crypto: { hash?: unknown } | undefined;
  try {
    crypto = host.process?.getBuiltinModule?.('node:crypto') as { hash?: unknown } | undefined;
  } catch {
    return undefined; // a host whose lookup refuses: hash in JavaScript
  }
  if (typeof crypto?.hash !== 'function') return undefined;
  const hash = crypto.hash as OneShotHash;
  return (data) => {
    const digest = hash('sha256', data, 'buffer');
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  };
}
