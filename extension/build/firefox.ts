/**
 * The Firefox build: the very files of dist/extension (the code reaches the browser through
 * webextension-polyfill, and the `chrome.*` calls it makes exist in Firefox too), copied into
 * dist/firefox with the manifest in Firefox's Manifest V3 form:
 * - `background.scripts` (Firefox runs an event page, not a service worker), same ES module;
 * - `browser_specific_settings.gecko`: the add-on id, the oldest Firefox with everything the
 *   wallet uses, and the data it transmits (coins and payments, to the sites it pays and to the
 *   reader's broker: `financialAndPaymentInfo`);
 * - `options_ui` for `options_page`; no `key` and no `minimum_chrome_version` (Chromium's).
 * dist/extension is left exactly as the Chromium build wrote it.
 * @module
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { listFiles } from './zip.ts';

/** The add-on id in Firefox (gecko ids look like an e-mail address). */
export const GECKO_ID = 'wallet@micromint.example';
/**
 * Oldest Firefox taking the manifest as it is: content scripts in the MAIN world (128),
 * `storage.session` and DNR session rules (115), `data_collection_permissions` (140; 142 on Android).
 */
export const FIREFOX_MIN_VERSION = '140.0';
export const FIREFOX_ANDROID_MIN_VERSION = '142.0';

/** The manifest keys this transform reads or writes; every other key is passed on as it is. */
type ChromiumManifest = Record<string, unknown> & {
  background?: { service_worker?: string; type?: string };
  options_page?: string;
};

/**
 * Chromium's manifest in Firefox's form (see the module comment).
 * @example
 * firefoxManifest(JSON.parse(readFileSync('dist/extension/manifest.json', 'utf8'))).background; // { scripts: ['background.js'], type: 'module' }
 */
export function firefoxManifest(chromium: ChromiumManifest): Record<string, unknown> {
  const { key: _key, minimum_chrome_version: _min, background, options_page, ...rest } = chromium;
  if (!background?.service_worker) throw new TypeError('the Chromium manifest has no background service worker');
  return {
    ...rest,
    background: { scripts: [background.service_worker], ...(background.type ? { type: background.type } : {}) },
    ...(options_page ? { options_ui: { page: options_page, open_in_tab: true } } : {}),
    browser_specific_settings: {
      gecko: {
        id: GECKO_ID,
        strict_min_version: FIREFOX_MIN_VERSION,
        data_collection_permissions: { required: ['financialAndPaymentInfo'] },
      },
      gecko_android: { strict_min_version: FIREFOX_ANDROID_MIN_VERSION },
    },
  };
}

/**
 * Writes `to` from `from`: every file copied, the manifest transformed. Deterministic: the same
 * dist/extension gives the same dist/firefox.
 */
export function writeFirefoxBuild(from: string, to: string): number {
  rmSync(to, { recursive: true, force: true });
  const files = listFiles(from);
  for (const path of files) {
    const target = join(to, path);
    mkdirSync(dirname(target), { recursive: true });
    if (path === 'manifest.json') {
      const manifest = firefoxManifest(JSON.parse(readFileSync(join(from, path), 'utf8')) as ChromiumManifest);
      writeFileSync(target, JSON.stringify(manifest, null, 2) + '\n');
    } else writeFileSync(target, readFileSync(join(from, path)));
  }
  return files.length;
}

/**
 * A build plugin that writes the Firefox build once the Chromium one is complete (`order: 'post'`,
 * after the plugins that add files to `from` in their own closeBundle).
 * @example
 * plugins: [..., walletZip({ ... }), firefoxBuild({ from: 'dist/extension', to: 'dist/firefox' })]
 */
export function firefoxBuild(o: { from: string; to: string }): Plugin {
  return {
    name: 'micromint:firefox',
    apply: 'build',
    closeBundle: {
      order: 'post',
      handler() {
        const files = writeFirefoxBuild(o.from, o.to);
        console.log(`Firefox build in ${o.to} (${files} files; id ${GECKO_ID})`);
      },
    },
  };
}
