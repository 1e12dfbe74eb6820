/**
 * The wallet paying a real vendor with links: the middleware (middleware/) taking `payword` at a
 * loopback origin, its broker the middleware's test broker. The navigation flow reads the 402,
 * opens a chain, hands the header to the (fake) retrier, the test sends the retry over HTTP as
 * the browser would, and the vendor's real answer settles the payment. A second instance of the
 * vendor with the same key but a store of its own answers `unknown-chain`: the wallet sends the
 * same payment again with the commitment, and it is paid.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodePaymentPayload, readPaywordPayload } from '@micromint/shared';
import { KEY_NAMES, MemoryVendorStore } from '../../middleware/src/index.ts';
import { startBroker, type TestBroker } from '../../middleware/test/broker.ts';
import { startRegisteredVendor, startVendor, type Vendor } from '../../middleware/test/vendor.ts';
import { ChallengeStore } from '../src/background/challenges.ts';
import { PaymentFlow } from '../src/background/payment-flow.ts';
import { RetryBook, type HeaderLike } from '../src/background/receipts.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { openWallet, recentPayments, recordConnection, walletPublicKey, type WalletDb } from '../src/wallet/index.ts';
import { fakeRetrier } from './helpers/fakes.ts';
import { freshDbName, USER } from './helpers/mint.ts';
import { schemesOver } from './helpers/payword.ts';

const PRICES = { '/api/quote': 1, '/api/feeds/*': 2 };
const TAB = 3;
let broker: TestBroker;
let vendor: Vendor & { apiKey?: string };
let apiKey: string;
let db: WalletDb;
let flow: PaymentFlow;
let fake: ReturnType<typeof fakeRetrier>;

const headersOf = (res: Response): HeaderLike[] => [...res.headers].map(([name, value]) => ({ name, value }));

/** A GET; once more when a kept-alive socket of the vendor's earlier instance was closed under it. */
async function get(url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { headers });
  } catch (e) {
    if ((e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
    return fetch(url, { headers });
  }
}

/** Loads `url` as the browser would: the 402, the page reporting, the retry with the wallet's header, the vendor's answer. */
async function load(url: string): Promise<{ status: number; header: string | undefined; outcome: unknown }> {
  const first = await get(url, { accept: 'application/json' });
  await first.text();
  await flow.onMainFrameResponse(TAB, url, first.status, headersOf(first));
  const verdict = await flow.pageLoaded(TAB, url);
  if (verdict.action !== 'paying') return { status: first.status, header: undefined, outcome: verdict };
  const header = [...fake.rules.values()].find((r) => r.tabId === TAB && r.url === url)!.header;
  const retry = await get(url, { accept: 'application/json', 'payment-signature': header });
  await retry.text();
  const outcome = await flow.onMainFrameResponse(TAB, url, retry.status, headersOf(retry));
  return { status: retry.status, header, outcome };
}

before(async () => {
  broker = await startBroker({ epochs: [] });
  const registered = await startRegisteredVendor(broker, { schemes: ['payword'], prices: PRICES });
  vendor = registered;
  apiKey = registered.apiKey;
  db = await openWallet(freshDbName('vendor'));
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: broker.url, userId: USER });
  broker.payword.walletKeys.set(USER, [await walletPublicKey(db)]);
  broker.payword.balances.set(USER, 10_000);
  await recordConnection(db, { broker: broker.url, userId: USER, connected: true });
  const session = memoryArea();
  fake = fakeRetrier();
  flow = new PaymentFlow({
    db,
    settings,
    challenges: new ChallengeStore(session),
    retries: new RetryBook(session),
    retrier: fake.retrier,
    schemes: schemesOver(),
  });
});

after(async () => {
  db?.close();
  await vendor?.close();
  await broker?.close();
});

test('the vendor takes the wallet’s links: a chain is opened, each page pays its units, the receipts settle them', async () => {
  const quote = await load(`${vendor.url}/api/quote`);
  assert.equal(quote.status, 200);
  assert.equal((quote.outcome as { kind: string }).kind, 'paid');
  const feed = await load(`${vendor.url}/api/feeds/news`);
  assert.equal(feed.status, 200);
  const pay = readPaywordPayload(decodePaymentPayload(feed.header!));
  assert.deepEqual(
    [pay.index, pay.units, pay.commitment],
    [3, 2, undefined],
    'the vendor knows the chain: no commitment on the second page',
  );
  assert.deepEqual(
    (await recentPayments(db)).map((p) => [p.scheme, p.state, p.price]),
    [
      ['payword', 'paid', 2],
      ['payword', 'paid', 1],
    ],
  );
  assert.equal(broker.payword.chains.size, 1);
  assert.equal((await vendor.mm.store.paywordChain!(pay.chainId))?.highestIndex, 3);
});

test('a vendor instance that lost the chain answers unknown-chain; the same payment with the commitment is paid', async () => {
  const key = (await vendor.mm.store.loadKey!(KEY_NAMES.vendorKey))!;
  const port = Number(new URL(vendor.url).port);
  await vendor.close();
  const store = new MemoryVendorStore();
  await store.saveKey(KEY_NAMES.vendorKey, key);
  vendor = await startVendor({ broker: broker.url, apiKey, schemes: ['payword'], prices: PRICES, store, port });

  const url = `${vendor.url}/api/quote`;
  const refused = await load(url);
  assert.equal(refused.status, 402);
  assert.deepEqual(refused.outcome && (refused.outcome as { kind: string; error: string }).error, 'unknown-chain');
  const [pending] = await recentPayments(db);
  assert.equal(pending?.state, 'pending');
  // The 402 page reports in: the wallet resends the payment, now with the commitment.
  const again = await load(url);
  assert.equal(again.status, 200);
  const before = readPaywordPayload(decodePaymentPayload(refused.header!));
  const after = readPaywordPayload(decodePaymentPayload(again.header!));
  assert.deepEqual([after.index, after.units], [before.index, before.units]);
  assert.deepEqual(after.mac, before.mac);
  assert.ok(after.commitment && after.authorization);
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
});
