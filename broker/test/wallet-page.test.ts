/**
 * Getting the wallet from the broker: the wallet page with and without a zip to offer, the download (the
 * file's bytes, as an attachment), the eager check of `walletZip`, a zip rebuilt while the broker runs; the
 * favicon; the home page's technical details behind a disclosure.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { createBroker } from '../src/index.ts';
import { FAVICON_SVG } from '../src/http/favicon.ts';
import { startBroker, type TestBroker } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mm-wallet-zip-'));

/** A zip like the build's: the extension in one top folder, `version` in its manifest. */
function writeZip(name: string, version: string, extra = 0): string {
  const path = join(dir, name);
  const manifest = { manifest_version: 3, name: 'MicroMint Wallet', version };
  const files = {
    'micromint-wallet/manifest.json': strToU8(JSON.stringify(manifest)),
    'micromint-wallet/background.js': new Uint8Array(randomBytes(extra)),
  };
  writeFileSync(path, zipSync(files));
  return path;
}

describe('the wallet page', () => {
  let plain: TestBroker;
  let offering: TestBroker;
  let zip: string;

  before(async () => {
    zip = writeZip('wallet.zip', '0.1.0', 3000);
    plain = await startBroker({ mint: false });
    offering = await startBroker({ mint: false, walletZip: zip });
  });
  after(async () => {
    await plain.stop();
    await offering.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a zip: what the wallet does, no download, how to build it, the install steps with the picture', async () => {
    const res = await fetch(`${plain.base}/wallet`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, /Pays small prices by itself/);
    assert.match(text, /PayWord chain/);
    assert.match(text, /id="download" data-offered="false"/);
    assert.match(text, /does not offer the wallet for download/);
    assert.match(text, /npm run build/);
    assert.doesNotMatch(text, /href="\/wallet\/micromint-wallet\.zip"/);
    for (const step of ['chrome://extensions', 'Turn on Developer mode', 'Click Load unpacked', 'Pin it', 'Buy coins here'])
      assert.ok(text.includes(step), step);
    assert.match(text, /<svg viewBox="0 0 760 410" role="img" aria-labelledby="install-title install-desc"/);
    assert.equal([...text.matchAll(/<g class="mark" data-step="(\d)">/g)].map((m) => m[1]).join(','), '3,4,5,6');
    const download = await fetch(`${plain.base}/wallet/micromint-wallet.zip`);
    assert.equal(download.status, 404);
    assert.match(await download.text(), /does not offer the wallet/);
  });

  test('with a zip: the version and size on the page, and the download is the file, as an attachment', async () => {
    const bytes = readFileSync(zip);
    const text = await (await fetch(`${offering.base}/wallet`)).text();
    assert.match(text, new RegExp(`id="download" data-offered="true" data-bytes="${bytes.length}" data-version="0.1.0"`));
    assert.match(text, /<td id="wallet-version">MicroMint Wallet 0\.1\.0<\/td>/);
    assert.match(text, new RegExp(`<span id="wallet-size">${Math.round(bytes.length / 1024)} KB</span>`));
    assert.match(text, /<a class="button big" id="wallet-download" href="\/wallet\/micromint-wallet\.zip"/);
    const res = await fetch(`${offering.base}/wallet/micromint-wallet.zip`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.match(res.headers.get('content-disposition')!, /^attachment; filename="?micromint-wallet\.zip"?$/);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });

  test('a zip rebuilt while the broker runs: the page and the download follow it; a zip gone: no download, no error', async () => {
    const other = await startBroker({ mint: false, walletZip: writeZip('rebuilt.zip', '0.1.0') });
    try {
      const path = writeZip('rebuilt.zip', '0.2.0', 100);
      assert.match(await (await fetch(`${other.base}/wallet`)).text(), /data-version="0\.2\.0"/);
      assert.deepEqual(Buffer.from(await (await fetch(`${other.base}/wallet/micromint-wallet.zip`)).arrayBuffer()), readFileSync(path));
      rmSync(path);
      const page = await fetch(`${other.base}/wallet`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /data-offered="false"/);
      assert.equal((await fetch(`${other.base}/wallet/micromint-wallet.zip`)).status, 404);
    } finally {
      await other.stop();
    }
  });

  test('walletZip is checked when the broker is made: a file, a zip, with a manifest naming a version', async () => {
    const make = (walletZip: unknown) => async () =>
      createBroker({ dbPath: join(dir, 'x.db'), publicUrl: 'http://127.0.0.1:1', walletZip } as never);
    await assert.rejects(make(join(dir, 'missing.zip')), { name: 'RangeError', message: /no such file/ });
    mkdirSync(join(dir, 'folder.zip'));
    await assert.rejects(make(join(dir, 'folder.zip')), { name: 'RangeError', message: /not a file/ });
    writeFileSync(join(dir, 'junk.zip'), 'not a zip');
    await assert.rejects(make(join(dir, 'junk.zip')), { name: 'RangeError', message: /not a zip file/ });
    writeFileSync(join(dir, 'empty.zip'), zipSync({ 'readme.txt': strToU8('hi') }));
    await assert.rejects(make(join(dir, 'empty.zip')), { name: 'RangeError', message: /no manifest\.json/ });
    writeFileSync(join(dir, 'nover.zip'), zipSync({ 'manifest.json': strToU8('{"name":"x"}') }));
    await assert.rejects(make(join(dir, 'nover.zip')), { name: 'RangeError', message: /names no extension version/ });
    await assert.rejects(make(42), { name: 'TypeError' });
  });

  test('every page links the wallet page and the icon; /favicon.ico and /favicon.svg answer it', async () => {
    const home = await (await fetch(`${plain.base}/`)).text();
    assert.match(home, /<a href="\/wallet">Get the wallet<\/a>/);
    assert.match(home, /<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml">/);
    for (const path of ['/favicon.ico', '/favicon.svg']) {
      const res = await fetch(plain.base + path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'image/svg+xml');
      assert.equal(await res.text(), FAVICON_SVG);
    }
  });
});

describe('the home page', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker();
  });
  after(() => tb.stop());

  test("the epoch's shape and key are behind a Technical details disclosure", async () => {
    const text = await (await fetch(`${tb.base}/`)).text();
    const p = tb.mint!.epoch;
    const details = /<details class="tech" id="epoch-details">\s*<summary>Technical details<\/summary>([\s\S]*?)<\/details>/.exec(text);
    assert.ok(details, 'a disclosure');
    assert.ok(details[1]!.includes(`t=${p.t} u=${p.u} v=${p.v} k=${p.k}`));
    assert.ok(details[1]!.includes(Buffer.from(p.key).toString('hex').slice(0, 16)));
    const outside = text.replace(details[0], '');
    assert.doesNotMatch(outside, /t=\d+ u=\d+/);
    assert.ok(!outside.includes(Buffer.from(p.key).toString('hex').slice(0, 16)));
    assert.match(outside, /A MicroMint coin is worth 0\.1¢/);
  });
});
