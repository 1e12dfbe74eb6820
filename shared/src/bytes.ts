/**
 * Byte helpers shared by the browser and Node: one encoding for hex and base64 everywhere.
 * @module
 */
import { base64, hex } from '@scure/base';
import { abytes } from './assert.ts';

/**
 * Node's Buffer where there is one: its base64 and hex run in C++ and allocate little, where
 * @scure/base (what browsers use) builds arrays per character. The results are the same.
 */
interface NodeBuffers {
  from(text: string, encoding: 'base64'): Uint8Array & { toString(encoding: 'base64'): string };
  from(bytes: ArrayBuffer, offset: number, length: number): { toString(encoding: 'base64' | 'hex'): string };
}
const nodeBuffer = (globalThis as { Buffer?: NodeBuffers }).Buffer;
const viewOf = (bytes: Uint8Array) => nodeBuffer!.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);

/** Lower-case hex of `bytes`. */
export const toHex = (bytes: Uint8Array): string => (nodeBuffer ? viewOf(bytes).toString('hex') : hex.encode(bytes));

/** Bytes of a hex string; throws `RangeError` on odd length or non-hex characters. */
export function fromHex(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('hex must be a string');
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new RangeError('invalid hex');
  return hex.decode(text.toLowerCase());
}

/** Standard, padded base64 (RFC 4648 section 4). */
export const toBase64 = (bytes: Uint8Array): string => (nodeBuffer ? viewOf(bytes).toString('base64') : base64.encode(bytes));

/** Bytes of padded base64; throws `RangeError` on anything else (no whitespace, no url alphabet). */
export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('base64 must be a string');
  if (nodeBuffer) {
    // Node decodes leniently: only text that it writes back the same is the one strict form.
    const decoded = nodeBuffer.from(text, 'base64');
    if (decoded.toString('base64') !== text) throw new RangeError('invalid base64');
    return new Uint8Array(decoded); // a copy of its own (a small Buffer shares Node's pool)
  }
  try {
    return base64.decode(text);
  } catch {
    throw new RangeError('invalid base64');
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** The string of UTF-8 bytes; throws `RangeError` on invalid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string {
  abytes(bytes);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new RangeError('invalid UTF-8');
  }
}

/** Concatenation of byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte-wise equality (not constant time: for public data only). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads `length` bits (at most 32) starting at bit `offset` of `bytes`, most significant bit first. */
export function readBits(bytes: Uint8Array, offset: number, length: number): number {
  if (length === 0) return 0;
  const first = offset >>> 3;
  const last = (offset + length - 1) >>> 3;
  // At most 5 bytes (40 bits) are gathered, well inside a double's 53-bit integer range.
  let acc = 0;
  for (let i = first; i <= last; i++) acc = acc * 256 + (bytes[i] ?? 0);
  const drop = (last + 1) * 8 - (offset + length);
  return Math.floor(acc / 2 ** drop) % 2 ** length;
}
