/**
 * Every price the middleware accepts is payable through Node's default HTTP limits: payments up
 * to MAX_PAYMENT_HEADER_BYTES in the header, anything up to the price cap in the body.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  coinId,
  decodeInvalidPayment,
  MAX_COINS_PER_PAYMENT,
  MAX_PAYMENT_BODY_BYTES,
  MAX_PAYMENT_HEADER_BYTES,
  MICROMINT_MIME,
} from '@micromint/shared';
import type { PaidRequest } from '../src/index.ts';
import { challengeOf, paymentHeader, paymentMessage, payInBody, rawReceiptOf, rawRequest, receiptOf } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const BROKER = 'http://127.0.0.1:9';
const ALICE = userId(0xa11ce);

let mint: Mint;
let vendor: Vendor;
let alice: Wallet;

/** `/big?n=N` costs N coins (the test sets any price up to the cap). */
const priceOfBig = (req: { path: string; originalUrl: string }): number | undefined =>
  req.path === '/big' ? Number(new URL(req.originalUrl, 'http://x').searchParams.get('n')) : undefined;

before(async () => {
  mint = mintEpoch({ balls: 40_000 });
  vendor = await startVendor({
    broker: BROKER,
    epoch: mint.epoch,
    prices: [{ '/api/quote': 1 }, priceOfBig],
    routes: (app) => app.get('/big', (req, res) => res.json({ method: req.method, paid: res.locals.micromint as PaidRequest })),
  });
  alice = new Wallet(mint, ALICE, vendor.url);
});
after(() => vendor.close());

const stats = () => vendor.mm.store.stats();
const bigUrl = (n: number) => `${vendor.url}/big?n=${n}`;
const headerFor = (n: number, coins: Uint8Array[]) =>
  paymentHeader({ url: bigUrl(n), vendorId: vendor.url, broker: BROKER, epoch: mint.epoch, userId: ALICE, coins });
/** The most coins whose payment header fits MAX_PAYMENT_HEADER_BYTES (coins of the test epoch, 64 bytes). */
function largestHeaderPrice(): number {
  const sample = (n: number) =>
    headerFor(
      n,
      Array.from({ length: n }, () => new Uint8Array(64)),
    );
  let n = 1;
  while (sample(n + 1).length <= MAX_PAYMENT_HEADER_BYTES) n++;
  return n;
}

describe('payments as large as the price cap', () => {
  it('the largest header payment passes Node’s default 16 KiB header limit, with 6 KB of cookies beside it', async () => {
    const n = largestHeaderPrice();
    assert.ok(n >= 60, `${n} coins`);
    const coins = alice.take(n);
    const header = headerFor(n, coins);
    assert.ok(header.length <= MAX_PAYMENT_HEADER_BYTES && header.length > MAX_PAYMENT_HEADER_BYTES - 200, String(header.length));
    const res = await fetch(bigUrl(n), { headers: { 'payment-signature': header, cookie: `prefs=${'x'.repeat(6000)}` } });
    assert.equal(res.status, 200);
    assert.equal(receiptOf(res).success, true);
    const body = (await res.json()) as { paid: PaidRequest };
    assert.deepEqual(body.paid.coins, coins.map(coinId));
  });

  it('one coin more does not fit the header: 400 that points at the body, nothing recorded', async () => {
    const n = largestHeaderPrice() + 1;
    const header = headerFor(n, alice.take(n));
    assert.ok(header.length > MAX_PAYMENT_HEADER_BYTES);
    const before = await stats();
    const res = await fetch(bigUrl(n), { headers: { 'payment-signature': header } });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'invalid_payment_header');
    assert.match(body.message, /POST \(application\/x-micromint\)/);
    assert.deepEqual(await stats(), before);
  });

  it('the highest price, 1000 coins, is paid in the body: verified, recorded, served as the GET, idempotent', async () => {
    const n = MAX_COINS_PER_PAYMENT;
    const coins = alice.take(n);
    const message = paymentMessage({ url: bigUrl(n), vendorId: vendor.url, epoch: mint.epoch, userId: ALICE, coins });
    assert.ok(message.length <= MAX_PAYMENT_BODY_BYTES);
    const before = await stats();
    // The receipt names 1000 coins (about 47 KB of header): read it as a browser would.
    const post = () => rawRequest(bigUrl(n), { method: 'POST', headers: { 'content-type': MICROMINT_MIME }, body: message });
    const res = await post();
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text) as { method: string; paid: PaidRequest };
    assert.equal(body.method, 'GET', 'the handler sees the GET the payment bought');
    assert.equal(body.paid.coins.length, n);
    const receipt = rawReceiptOf(res);
    assert.equal(receipt.success, true);
    assert.equal(receipt.payer, ALICE);
    assert.deepEqual((receipt.extensions as { micromint: { coins: string[] } }).micromint.coins, coins.map(coinId));
    assert.equal(res.headers['cache-control'], 'private, no-store');
    const cookie = (res.headers['set-cookie'] ?? [])[0]?.split(';')[0];
    assert.ok(cookie, 'the access cookie is set as for a header payment');
    const mid = await stats();
    assert.deepEqual([mid.payments - before.payments, mid.coins - before.coins], [1, n]);

    const again = await post();
    assert.equal(again.status, 200);
    assert.equal(rawReceiptOf(again).transaction, receipt.transaction);
    assert.equal((JSON.parse(again.text) as { paid: PaidRequest }).paid.replay, true);
    assert.deepEqual(await stats(), mid, 'the retry records nothing');

    const view = await fetch(bigUrl(n), { headers: { cookie } });
    assert.equal(view.status, 200);
  });

  it('more coins than the cap are refused in the body too: 400 invalid_payment_body', async () => {
    const n = MAX_COINS_PER_PAYMENT;
    const coins = Array.from({ length: n + 1 }, () => new Uint8Array(randomBytes(64)));
    const before = await stats();
    const res = await payInBody(
      bigUrl(n),
      paymentMessage({ url: bigUrl(n), vendorId: vendor.url, epoch: mint.epoch, userId: ALICE, coins }),
    );
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_payment_body');
    assert.deepEqual(await stats(), before);
  });

  it('a body payment for a static file is served as its GET', async () => {
    const url = `${vendor.url}/articles/paid.html`;
    const res = await payInBody(url, paymentMessage({ url, vendorId: vendor.url, epoch: mint.epoch, userId: ALICE, coins: alice.take(2) }));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<h1>Paid article</h1>');
    assert.equal(receiptOf(res).success, true);
  });

  it('a body payment is checked like a header payment: another URL is 402 wrong-url, with Invalid-Payment', async () => {
    const url = `${vendor.url}/api/quote`;
    const before = await stats();
    const message = paymentMessage({
      url: `${vendor.url}/articles/cheap.html`,
      vendorId: vendor.url,
      epoch: mint.epoch,
      userId: ALICE,
      coins: alice.take(1),
    });
    const res = await payInBody(url, message, { accept: 'application/json' });
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'wrong-url');
    await res.body?.cancel();
    const inv = await payInBody(url, message, { accept: MICROMINT_MIME });
    assert.equal(decodeInvalidPayment(mint.epoch, await inv.text()).reason, 'wrong-url');
    assert.deepEqual(await stats(), before);
  });

  it('bad bodies get clear errors and take nothing: too large 413, not a Payment 400, with a header too 400, compressed 415', async () => {
    const url = `${vendor.url}/api/quote`;
    const good = paymentMessage({ url, vendorId: vendor.url, epoch: mint.epoch, userId: ALICE, coins: alice.take(1) });
    const before = await stats();
    const cases: [string, () => Promise<Response>, number, string][] = [
      ['over the limit', () => payInBody(url, 'x'.repeat(MAX_PAYMENT_BODY_BYTES + 1)), 413, 'payment_too_large'],
      ['not a message', () => payInBody(url, 'coins, please'), 400, 'invalid_payment_body'],
      ['another message type', () => payInBody(url, good.replace('\nPayment\n', '\nRequest-Payment\n')), 400, 'invalid_payment_body'],
      ['empty', () => payInBody(url, ''), 400, 'invalid_payment_body'],
      ['both header and body', () => payInBody(url, good, { 'payment-signature': 'x' }), 400, 'invalid_payment_body'],
      ['gzip', () => payInBody(url, good, { 'content-encoding': 'gzip' }), 415, 'unsupported_content_encoding'],
    ];
    for (const [what, send, status, error] of cases) {
      const res = await send();
      assert.equal(res.status, status, what);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, error, what);
      assert.ok(body.message.length > 0 && !/at .*\.ts:\d+/.test(body.message), what);
    }
    assert.deepEqual(await stats(), before);
    // The good body still pays afterwards: nothing of it was taken by the failures.
    assert.equal((await payInBody(url, good)).status, 200);
  });
});
