/**
 * Opening chains against the real broker (broker/, on a loopback port over a temporary SQLite
 * file, started here as the broker's own tests start it): the wallet key connected through the
 * account page's form, the page's `micromint-wallet` block recorded, a chain authorized and held,
 * the payment's link and authorization checked as a vendor would, and the broker's refusals
 * (`insufficient_funds`, `wallet_not_connected`) as clear outcomes that hold nothing.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fromBase64, paywordRequirements, toBase64 } from '@micromint/shared';
import { Browser, postJson, startBroker, type TestBroker } from '../../broker/test/helpers.ts';
import { ChainOpener } from '../src/background/chain-opener.ts';
import { ChainOpenError, PaywordBrokerClient } from '../src/background/payword-broker.ts';
import type { SchemeContext } from '../src/background/schemes/types.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { WalletConnection } from '../src/background/wallet-connection.ts';
import { brokerRecord, openWallet, payLink, type WalletDb } from '../src/wallet/index.ts';
import { freshDbName, VENDOR } from './helpers/mint.ts';
import { VENDOR_KEY, vendorCheck } from './helpers/payword.ts';

let tb: TestBroker;
let reader: Browser;
let userId: string;
let db: WalletDb;
let settings: SettingsStore;
let connection: WalletConnection;
const opener = new ChainOpener(new PaywordBrokerClient());
const vendorKey = toBase64(VENDOR_KEY.publicKey);

const block = (page: string): unknown =>
  JSON.parse(/<script type="application\/json" class="micromint-wallet">([^<]*)<\/script>/.exec(page)![1]!);
const ctx = async (): Promise<SchemeContext> => ({ db, settings: await settings.get(), now: Date.now(), log: () => undefined });
const order = (value: number, length: number) => ({ broker: tb.base, vendorId: VENDOR, vendorKey, value, units: 1, length });
const held = () => tb.broker.store.accounts.balance('user', userId);

before(async () => {
  tb = await startBroker({ mint: false, maxChainLength: 1000 });
  reader = new Browser(tb.base);
  userId = await reader.signUp('reader@example.com');
  assert.equal((await reader.addFunds('1')).status, 303, '$1 = 1000 mills at the broker');
  const { json } = await postJson(`${tb.base}/api/vendors`, { origin: VENDOR, name: 'Chain shop' });
  const put = await fetch(`${tb.base}/api/vendors/payword-key`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${json.apiKey}` },
    body: JSON.stringify({ key: vendorKey }),
  });
  assert.equal(put.status, 200);
  db = await openWallet(freshDbName('real-broker'));
  settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: tb.base, maxHeldMills: 1_000_000 });
  connection = new WalletConnection(db, settings);
});

after(async () => {
  db?.close();
  await tb?.stop();
});

test('the wallet key is connected through the account page and the page’s block is recorded', async () => {
  const origin = new URL(tb.base).origin;
  const { walletKey } = await connection.key(origin);
  assert.equal((await connection.connected(block((await reader.get('/account')).text), origin)).connected, false);
  await assert.rejects(
    opener.ensure(await ctx(), order(1, 100)),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'not-connected',
  );
  const form = await reader.connectWallet(walletKey);
  assert.equal(form.res.status, 303);
  const out = await connection.connected(block((await reader.get('/account')).text), origin);
  assert.deepEqual(out, { broker: tb.base, userId, connected: true, walletKey });
  assert.equal((await settings.get()).userId, userId);
});

test('a chain is authorized by the real broker, which holds its value once; its links pay as a vendor checks them', async () => {
  const chain = await opener.ensure(await ctx(), order(1, 100));
  assert.equal(chain.status, 'open');
  assert.equal(await held(), 1000 - 100);
  const stored = await tb.broker.store.chains.byId(chain.id);
  assert.ok(stored, 'the broker recorded the chain');
  assert.equal(stored.heldMills, 100);
  assert.equal((await brokerRecord(db, tb.base))?.info?.maxLength, 1000, 'the broker’s terms are cached');
  const info = await (await fetch(`${tb.base}/api/payword`)).json();
  const url = `${VENDOR}/article`;
  const requirement = paywordRequirements({ price: 1, vendorId: VENDOR, broker: tb.base, vendorKey: VENDOR_KEY.publicKey, linkValue: 1 });
  const payment = await payLink(db, {
    url,
    method: 'GET',
    want: { broker: tb.base, vendorId: VENDOR, vendorKey, value: 1, units: 1 },
    requirement,
  });
  const v = vendorCheck(payment.header, { brokerKey: fromBase64(info.brokerKey) });
  assert.deepEqual([v.pay.index, v.linkOk, v.macOk, v.authorizationOk], [1, true, true, true]);
  // Asked again, the same chain: no second hold.
  assert.equal((await opener.ensure(await ctx(), order(1, 100))).id, chain.id);
  assert.equal(await held(), 900);
});

test('insufficient_funds at the broker is a clear outcome: nothing held, nothing kept', async () => {
  await assert.rejects(
    opener.ensure(await ctx(), order(2, 1000)),
    (e: unknown) =>
      e instanceof ChainOpenError && e.code === 'insufficient_funds' && e.detail.balanceMills === 900 && e.detail.neededMills === 2000,
  );
  assert.equal(await held(), 900);
  assert.equal((await db.getAll('chains')).length, 1);
});

test('a wallet disconnected at the broker gets wallet_not_connected, and stops asking', async () => {
  const { walletKey } = await connection.key(new URL(tb.base).origin);
  const csrf = await reader.csrf('/account');
  assert.equal((await reader.post('/account/wallet-key/delete', { walletKey }, { csrf })).res.status, 303);
  await assert.rejects(
    opener.ensure(await ctx(), order(3, 10)),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'wallet_not_connected',
  );
  assert.equal((await brokerRecord(db, tb.base))?.connected, false);
  assert.equal(await held(), 900);
});
