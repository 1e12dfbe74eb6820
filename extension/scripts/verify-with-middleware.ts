/**
 * The built wallet against the team's real vendor middleware (middleware/, with a fixed epoch and
 * an in-memory store) and a stand-in broker page for funds: autopay, prompt, a page fetch(), and
 * the access cookie on a second visit.
 *
 *   npx vite build && npx tsx extension/scripts/verify-with-middleware.ts
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MemoryVendorStore, micromint } from '@micromint/middleware';
import { fundsText, pickFirsts, sellSets, testEpoch, USER } from '../test/helpers/mint.ts';
import { clickInShadow, launchWallet, shadowText } from './chromium.ts';
import { startMockBroker } from './mock-servers.ts';

const epoch = testEpoch({ id: 'mw-1' });
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const coins = sets.reduce((n, s) => n + s.balls[0]!.size, 0);
const broker = await startMockBroker({ funds: () => fundsText(epoch, sets, { withdrawalId: 'w_mw', broker: broker.url }), withdrawalId: 'w_mw', userId: USER, epoch });

const app = express();
const server = await new Promise<import('node:http').Server>((r) => {
  const s = app.listen(0, '127.0.0.1', () => r(s));
});
const vendorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const store = new MemoryVendorStore();
app.use(micromint({ vendorId: vendorUrl, broker: broker.url, epoch, store, prices: { '/story': 2, '/long-read': 8, '/api/quote': 1 } }));
app.get('/story', (_req, res) => res.type('html').send('<h1 id="content">A story</h1>'));
app.get('/long-read', (_req, res) => res.type('html').send('<h1 id="content">A long read</h1>'));
app.get('/api/quote', (_req, res) => res.json({ quote: 'Small coins, big ideas.' }));
app.get('/app', (_req, res) =>
  res.type('html').send(`<pre id="out">loading</pre><script>fetch('/api/quote').then(async (r) => { document.getElementById('out').textContent = r.status + ' ' + (await r.text()); });</script>`),
);

const wallet = await launchWallet();
try {
  await wallet.configure({ brokerUrl: broker.url, threshold: 5 });
  const page = await wallet.ctx.newPage();
  await page.goto(`${broker.url}/account/withdrawals/w_mw`);
  await page.waitForSelector('.micromint-status[data-state="stored"]', { timeout: 15_000 });
  assert.equal((await wallet.popup()).balance, coins);

  console.log('- autopay through the real middleware');
  await page.goto(`${vendorUrl}/story`);
  await page.waitForSelector('#content', { timeout: 15_000 });
  let state = await wallet.popup();
  assert.equal(state.balance, coins - 2);
  assert.deepEqual(state.payments[0], { url: `${vendorUrl}/story`, status: 'paid' });

  console.log('- the access cookie serves the page again without paying');
  await page.goto(`${vendorUrl}/story`);
  await page.waitForSelector('#content');
  assert.equal((await wallet.popup()).balance, coins - 2);

  console.log('- the prompt above the threshold, on the middleware paywall page');
  await page.goto(`${vendorUrl}/long-read`);
  await page.waitForSelector('#micromint-prompt', { state: 'attached', timeout: 15_000 });
  assert.match((await shadowText(page, 'micromint-prompt'))!, /8 coins/);
  await clickInShadow(page, 'micromint-prompt', 'pay');
  await page.waitForSelector('#content', { timeout: 15_000 });
  assert.equal((await wallet.popup()).balance, coins - 10);

  console.log('- a page fetch() of a paid API');
  await page.goto(`${vendorUrl}/app`);
  await page.waitForFunction(() => document.getElementById('out')?.textContent?.startsWith('200'), null, { timeout: 15_000 });
  state = await wallet.popup();
  assert.equal(state.balance, coins - 11);
  assert.deepEqual(state.payments[0], { url: `${vendorUrl}/api/quote`, status: 'paid' });

  assert.deepEqual(wallet.errors, []);
  console.log('all checks passed against the real middleware');
} finally {
  await wallet.close();
  server.close();
  broker.server.close();
}
