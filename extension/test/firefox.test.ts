/**
 * The Firefox build: Chromium's manifest in Firefox's Manifest V3 form, and the worker accepting its
 * own pages under Firefox's `moz-extension://<uuid>` origin. The built dist/firefox is checked by
 * `web-ext lint` in `npm test`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firefoxManifest, GECKO_ID } from '../build/firefox.ts';
import { buildManifest } from '../build/manifest.ts';
import { checkSender, SenderError } from '../src/background/router.ts';
import type { Message } from '../src/messages.ts';

test("Firefox's manifest: background scripts, the gecko id and data, options_ui; nothing Chromium-only", () => {
  const chromium = buildManifest('1.2.3') as unknown as Record<string, unknown>;
  const ff = firefoxManifest(chromium) as Record<string, any>;
  assert.deepEqual(ff.background, { scripts: ['background.js'], type: 'module' });
  assert.equal(ff.browser_specific_settings.gecko.id, GECKO_ID);
  assert.deepEqual(ff.browser_specific_settings.gecko.data_collection_permissions, { required: ['financialAndPaymentInfo'] });
  assert.deepEqual(ff.options_ui, { page: 'options.html', open_in_tab: true });
  for (const key of ['key', 'minimum_chrome_version', 'options_page']) assert.equal(key in ff, false, key);
  for (const key of ['manifest_version', 'version', 'permissions', 'host_permissions', 'content_scripts', 'action', 'icons'])
    assert.deepEqual(ff[key], chromium[key], key);
  assert.deepEqual((chromium.background as Record<string, unknown>).service_worker, 'background.js', "Chromium's own is untouched");
});

test('the worker takes page messages from its own pages in Firefox (moz-extension://<uuid>), and only from them', () => {
  const origin = 'moz-extension://4b1c9c4e-6f0e-4b7b-9a43-2f3c1d0e5a77';
  const msg = { type: 'wallet-summary', body: {} } as Message;
  const options = { id: GECKO_ID, url: `${origin}/options.html` };
  assert.equal(checkSender(msg, options, GECKO_ID, origin).origin, origin);
  assert.throws(() => checkSender(msg, { id: GECKO_ID, url: 'moz-extension://another-uuid/options.html' }, GECKO_ID, origin), SenderError);
  assert.throws(() => checkSender(msg, options, GECKO_ID), SenderError, "not with Chromium's origin");
  const page = { type: 'page-loaded', body: { url: `${origin}/popup.html` } } as Message;
  assert.throws(
    () => checkSender(page, { ...options, url: `${origin}/popup.html`, frameId: 0, tab: { id: 1 } }, GECKO_ID, origin),
    SenderError,
  );
});
