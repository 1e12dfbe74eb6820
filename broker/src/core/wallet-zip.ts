/**
 * The wallet extension's zip the broker offers for download (option `walletZip`): its size and the version
 * its manifest.json names. The file is read again only when it changed (a rebuild while the broker runs).
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { unzipSync } from 'fflate';

/** Largest zip the broker reads and offers (the built extension is well under 1 MB). */
export const MAX_WALLET_ZIP_BYTES = 64 * 1024 * 1024;

/** What the wallet page says about the download. */
export interface WalletZip {
  /** Absolute path of the file. */
  path: string;
  bytes: number;
  /** The extension's name and version, from its manifest.json. */
  name: string;
  version: string;
  modifiedAt: Date;
}

/** manifest.json at the top of the zip, or in its one top folder. */
const isManifest = (name: string): boolean => name === 'manifest.json' || /^[^/]+\/manifest\.json$/.test(name);

function manifestOf(bytes: Uint8Array): { name: string; version: string } {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => isManifest(f.name) });
  } catch (e) {
    throw new RangeError(`it is not a zip file (${(e as Error).message})`, { cause: e });
  }
  const entry = Object.keys(files).sort((a, b) => a.length - b.length)[0];
  if (!entry) throw new RangeError('it holds no manifest.json: zip the built extension (dist/extension)');
  let m: { name?: unknown; version?: unknown };
  try {
    m = JSON.parse(Buffer.from(files[entry]!).toString('utf8')) as typeof m;
  } catch {
    throw new RangeError(`its ${entry} is not JSON`);
  }
  if (typeof m?.version !== 'string' || !/^[0-9]+(\.[0-9]+){0,3}$/.test(m.version))
    throw new RangeError(`its ${entry} names no extension version`);
  return { name: typeof m.name === 'string' ? m.name.slice(0, 100) : 'MicroMint Wallet', version: m.version };
}

/**
 * Reads the zip at `path`. Throws `RangeError` when it is missing, not a file, larger than
 * {@link MAX_WALLET_ZIP_BYTES}, or not a zip of an extension (no manifest.json with a version).
 * @example
 * readWalletZip('dist/micromint-wallet.zip').version; // '0.1.0'
 */
export function readWalletZip(path: string): WalletZip {
  const abs = resolve(path);
  const what = `walletZip ${abs}`;
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new RangeError(`${what}: no such file (build it with \`npm run build\`)`);
  }
  if (!st.isFile()) throw new RangeError(`${what}: not a file`);
  if (st.size > MAX_WALLET_ZIP_BYTES) throw new RangeError(`${what}: larger than ${MAX_WALLET_ZIP_BYTES} bytes`);
  try {
    return { path: abs, bytes: st.size, modifiedAt: st.mtime, ...manifestOf(readFileSync(abs)) };
  } catch (e) {
    throw new RangeError(`${what}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The zip at `path` as it is now, read again only when its size or modification time changed; undefined
 * (and one warning) while it cannot be read. Check the option with {@link readWalletZip} first.
 * @example
 * const current = walletZipSource('dist/micromint-wallet.zip');
 * current()?.bytes;
 */
export function walletZipSource(path: string): () => WalletZip | undefined {
  let last: WalletZip | undefined;
  let warned = false;
  return () => {
    try {
      const st = statSync(path);
      if (!last || last.bytes !== st.size || +last.modifiedAt !== +st.mtime) last = readWalletZip(path);
      warned = false;
      return last;
    } catch (e) {
      if (!warned) console.warn(`[broker] the wallet download is unavailable: ${(e as Error).message}`);
      warned = true;
      last = undefined;
      return undefined;
    }
  };
}
