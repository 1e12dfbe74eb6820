/**
 * The wallet as one download: `npm run build` packs the built extension (dist/extension) into
 * `dist/micromint-wallet.zip`, which the broker's wallet page offers to readers (unzip it, then
 * "Load unpacked" in Chromium). The zip is deterministic: entries sorted by path and every time
 * stamp fixed, so the same build gives the same bytes.
 * @module
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import type { Plugin } from 'vite';

/** The time stamp of every entry (local midnight, 1 January 2000: zip times carry no time zone). */
export const ZIP_MTIME = new Date(2000, 0, 1);

/**
 * Every file under `dir`, as `/`-separated paths relative to it, sorted.
 * @example
 * listFiles('dist/extension'); // ['assets/popup-1a2b.js', ..., 'manifest.json', 'popup.html']
 */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(path);
    }
  };
  walk('');
  return out.sort();
}

/**
 * The zip of every file under `dir`, entries sorted and time-stamped {@link ZIP_MTIME}.
 * @example
 * writeFileSync('dist/micromint-wallet.zip', zipDirectory('dist/extension'));
 */
export function zipDirectory(dir: string): Uint8Array {
  const files: Zippable = {};
  for (const path of listFiles(dir)) files[path] = [readFileSync(join(dir, path)), { mtime: ZIP_MTIME }];
  return zipSync(files, { level: 9, mtime: ZIP_MTIME });
}

/**
 * A build plugin that zips `from` into the file `to` once the build is written. It runs last
 * (`order: 'post'`; closeBundle hooks run one after another in plugin order), after the plugins
 * that add files to `from` in their own closeBundle.
 * @example
 * plugins: [manifestAndIcons(), classicScripts(...), walletZip({ from: 'dist/extension', to: 'dist/micromint-wallet.zip' })]
 */
export function walletZip(o: { from: string; to: string }): Plugin {
  return {
    name: 'micromint:wallet-zip',
    apply: 'build',
    closeBundle: {
      order: 'post',
      handler() {
        const zip = zipDirectory(o.from);
        writeFileSync(o.to, zip);
        console.log(`wallet zip ${o.to} (${listFiles(o.from).length} files, ${zip.length} bytes)`);
      },
    },
  };
}
