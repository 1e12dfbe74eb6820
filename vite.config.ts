/**
 * Builds the MicroMint wallet extension into dist/extension (load it unpacked from there).
 *
 * One `vite build` makes three things:
 * - the main build: the background service worker as an ES module entry (`background.js`) and
 *   the popup and options pages as HTML entries (`popup.html`, `options.html`), sharing chunks;
 * - two self-contained IIFE builds, started from `closeBundle`: `content.js` (content scripts
 *   cannot be ES modules) and `page-fetch.js` (the MAIN-world fetch and XHR wrappers and page API);
 * - `manifest.json` and the PNG icons, emitted as assets of the main build;
 * - last, dist/micromint-wallet.zip and dist/firefox (the same files, Firefox's manifest).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { coinIcon, ICON_SIZES } from './extension/build/icons.ts';
import { buildManifest, ENTRY_FILES, EXTENSION_PUBLIC_KEY, extensionIdFromKey, iconPath } from './extension/build/manifest.ts';
import { walletZip } from './extension/build/zip.ts';
import { firefoxBuild } from './extension/build/firefox.ts';

const here = import.meta.dirname;
const ext = resolve(here, 'extension');
const outDir = resolve(here, 'dist/extension');
/** Workspace packages (`@micromint/shared`) are bundled from their TypeScript sources, not their dist/. */
const resolveSources = { conditions: ['@micromint/source', ...defaultClientConditions] };
const version = (JSON.parse(readFileSync(resolve(ext, 'package.json'), 'utf8')) as { version: string }).version;

/** Emits manifest.json and the icons next to the bundles. */
function manifestAndIcons(): Plugin {
  return {
    name: 'micromint:manifest-and-icons',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'manifest.json', source: JSON.stringify(buildManifest(version), null, 2) + '\n' });
      for (const size of ICON_SIZES) this.emitFile({ type: 'asset', fileName: iconPath(size), source: coinIcon(size) });
    },
  };
}

/** Content scripts run as classic scripts: each one is bundled on its own as an IIFE. */
function classicScripts(entries: Record<string, string>): Plugin {
  return {
    name: 'micromint:classic-scripts',
    apply: 'build',
    async closeBundle() {
      for (const [fileName, entry] of Object.entries(entries)) {
        await build({
          configFile: false,
          logLevel: 'warn',
          publicDir: false,
          resolve: resolveSources,
          build: {
            outDir,
            emptyOutDir: false,
            copyPublicDir: false,
            target: 'chrome116',
            minify: false,
            lib: { entry, formats: ['iife'], name: 'micromint', fileName: () => fileName },
          },
        });
      }
      console.log(`extension built in ${outDir} (id ${extensionIdFromKey(EXTENSION_PUBLIC_KEY)})`);
    },
  };
}

export default defineConfig({
  // The HTML pages live in extension/src/pages so they land at the root of the output.
  root: resolve(ext, 'src/pages'),
  base: '/',
  publicDir: false,
  resolve: resolveSources,
  plugins: [
    manifestAndIcons(),
    classicScripts({
      [ENTRY_FILES.content]: resolve(ext, 'src/content/index.ts'),
      [ENTRY_FILES.pageFetch]: resolve(ext, 'src/page/index.ts'),
    }),
    // Last, once the classic scripts are in: dist/micromint-wallet.zip, the download readers install from.
    walletZip({ from: outDir, to: resolve(here, 'dist/micromint-wallet.zip') }),
    // Then the Firefox build: the same files in dist/firefox, the manifest in Firefox's form (issue 10).
    firefoxBuild({ from: outDir, to: resolve(here, 'dist/firefox') }),
  ],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'chrome116',
    minify: false,
    sourcemap: false,
    // Extension pages load their modules directly; the preload polyfill would be an inline script (CSP).
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        background: resolve(ext, 'src/background/index.ts'),
        popup: resolve(ext, 'src/pages/popup.html'),
        options: resolve(ext, 'src/pages/options.html'),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'background' ? ENTRY_FILES.background : 'assets/[name]-[hash].js'),
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
