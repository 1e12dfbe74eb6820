/**
 * The extension's manifest.json, built from code so the version, entry names and pinned key live in
 * one place.
 * @module
 */
import { createHash } from 'node:crypto';
import { ICON_SIZES } from './icons.ts';

/**
 * Public half of the RSA key that pins the extension id (base64 DER SubjectPublicKeyInfo). The
 * private half was never saved: the id only needs the public key, and an unpacked extension is
 * never signed.
 */
export const EXTENSION_PUBLIC_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwtvvmPP3QGPRM5xtpx8/hpDnzQ96FOboY8L2ihAetoJLIM9v9yJO7ykwG/V1cXa2G0dohV77YOwsoaH1+v4w6XnB6xOYyt3KepUQ9RH2kefOBxLPeR2lyVOLnXsjaQpz0AJGVUiMiNhxeAlKJH/3ok389iE2Syxvao7td6c8JM3HcsQF+0aYlAhWwCRaCYZLBkerPff/pgpG33eOXhgVn7rNHL9cboVYXJbz3ivQ1GtOvJECPFsWc5FwoTtx0SNWVBOxExo/zv/HtsJUCbv9/qy3xEO+tTLL1iX3FJ1qDR10PmkulLesUM6kj9w0OLhcGLHXnFjtZ5NgSYKhNZt7mwIDAQAB';

/**
 * Chromium's extension id for a manifest `key`: the first 128 bits of SHA-256 of the DER key,
 * written with the letters a-p for the hex digits 0-f.
 * @example
 * extensionIdFromKey(EXTENSION_PUBLIC_KEY); // 'keidcgfameppkeebpbljidlefpmpjnmm'
 */
export function extensionIdFromKey(publicKeyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex');
  return [...digest.slice(0, 32)].map((h) => String.fromCharCode(97 + parseInt(h, 16))).join('');
}

/** Output file names the manifest points at; vite.config.ts emits exactly these. */
export const ENTRY_FILES = {
  background: 'background.js',
  content: 'content.js',
  pageFetch: 'page-fetch.js',
  popup: 'popup.html',
  options: 'options.html',
} as const;

/** Path of the icon of `size` pixels inside the extension. */
export const iconPath = (size: number): string => `icons/coin-${size}.png`;

/** The MV3 manifest. */
export function buildManifest(version: string): chrome.runtime.ManifestV3 {
  const icons = Object.fromEntries(ICON_SIZES.map((s) => [String(s), iconPath(s)]));
  return {
    manifest_version: 3,
    name: 'MicroMint Wallet',
    short_name: 'MicroMint',
    version,
    description: 'Pays HTTP 402 "micromint" challenges with coins from your MicroMint superbin sets.',
    key: EXTENSION_PUBLIC_KEY,
    // storage.session, DNR session rules with tabIds, and MessageSender.origin are all older than 116.
    minimum_chrome_version: '116',
    // webNavigation: a payment made on a 402's headers goes out once that 402's page is committed (no new warning beside `tabs`).
    permissions: ['storage', 'webRequest', 'declarativeNetRequest', 'tabs', 'webNavigation'],
    host_permissions: ['<all_urls>'],
    background: { service_worker: ENTRY_FILES.background, type: 'module' },
    content_scripts: [
      // In every frame: a paid page inside an iframe is paid too, from its own frame (issue 10).
      { matches: ['<all_urls>'], js: [ENTRY_FILES.content], run_at: 'document_idle', all_frames: true },
      // Wraps the page's fetch() and XMLHttpRequest and defines window.micromint before page scripts
      // run; talks to content.js through window messages.
      { matches: ['<all_urls>'], js: [ENTRY_FILES.pageFetch], run_at: 'document_start', world: 'MAIN', all_frames: true },
    ],
    action: { default_popup: ENTRY_FILES.popup, default_title: 'MicroMint Wallet', default_icon: icons },
    options_page: ENTRY_FILES.options,
    icons,
  };
}
