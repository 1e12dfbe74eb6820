/**
 * The optional native mint kernel (`broker/native/`, built by `npm install` when a C toolchain is there):
 * hashes a whole batch of balls per call, with OpenSSL's SHA-256, instead of one `crypto.hash` call per ball.
 * Without it the minting threads run the JavaScript loop; results are identical either way.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Which hashing loop a minting thread runs. */
export type MintKernel = 'native' | 'js';

/** Where node-gyp puts the addon. */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/mint_kernel.node', import.meta.url));

interface Addon {
  mintBatch(prefix: Uint8Array, balls: Uint8Array, t: number, fixed: number, u: number, v: number): Uint32Array;
}

let addon: Addon | null | undefined;
let loadError: unknown;

/** The addon, or null when it is not built (or does not load: then {@link nativeLoadError} says why). */
function load(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (existsSync(NATIVE_ADDON_PATH)) {
    try {
      addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Addon;
    } catch (e) {
      loadError = e;
    }
  }
  return addon;
}

/** Why a built addon failed to load (undefined when it loaded or is simply absent). */
export const nativeLoadError = (): unknown => (load(), loadError);

/** True when the native kernel can run in this process. */
export const nativeAvailable = (): boolean => load() !== null;

/**
 * The balls of a batch that count, as flat pairs (index in batch, slot = superbin * 2^v + subbin): those whose
 * digest SHA-256(prefix || ball) starts with the t bits `fixed`. Throws when the addon is not available.
 * @example
 * const pairs = nativeMintBatch(ballPreimage(key).subarray(0, 36), balls, { t: 4, u: 8, v: 6, fixed: 3 });
 */
export function nativeMintBatch(prefix: Uint8Array, balls: Uint8Array, p: { t: number; u: number; v: number; fixed: number }): Uint32Array {
  const a = load();
  if (!a) throw new Error('the native mint kernel is not built (see broker/README.md, "Native mint kernel")');
  return a.mintBatch(prefix, balls, p.t, p.fixed, p.u, p.v);
}

/**
 * The kernel to run: the one asked for, else `MICROMINT_MINT_KERNEL` (js|native), else native when built.
 * Asking for native when it is not built is an error, so a test or bench never measures the wrong loop.
 */
export function resolveKernel(requested?: MintKernel): MintKernel {
  const env = process.env.MICROMINT_MINT_KERNEL;
  const want = requested ?? (env === undefined || env === '' ? undefined : env);
  if (want !== undefined && want !== 'js' && want !== 'native')
    throw new RangeError(`mint kernel must be 'js' or 'native', not ${JSON.stringify(want)} (MICROMINT_MINT_KERNEL?)`);
  if (want === 'js') return 'js';
  if (want === 'native' && !nativeAvailable()) {
    const why = nativeLoadError();
    throw new Error(
      `the native mint kernel was asked for but ${why ? `does not load: ${String(why)}` : `is not built (${NATIVE_ADDON_PATH})`}`,
    );
  }
  return nativeAvailable() ? 'native' : 'js';
}
