import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  coinId,
  decodeInvalidPayment,
  encodeHeader,
  MICROMINT_MIME,
  micromintPayload,
  micromintNetwork,
  micromintRequirements,
  toBase64,
  type PaymentPayload,
} from '@micromint/shared';
import { challengeOf, cookiesOf, paymentHeader, paymentMessage, payInBody, receiptOf } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const BROKER = 'http://127.0.0.1:9';
const ALICE = userId(0xa11ce);
const BOB = userId(0xb0b);

let mint: Mint;
let vendor: Vendor;
let alice: Wallet;
let bob: Wallet;

before(async () => {
  mint = mintEpoch();
  vendor = await startVendor({ broker: BROKER, epoch: mint.epoch });
  alice = new Wallet(mint, ALICE, vendor.url);
  bob = new Wallet(mint, BOB, vendor.url);
});
after(async () => {
  await vendor.close();
});

/** Requests `path` with a payment of `coins` by `user`. */
function pay(
  path: string,
  coins: Uint8Array[],
  o: { user?: string; method?: string; accept?: string; resourceUrl?: string | null; cookie?: string } = {},
): Promise<Response> {
  const url = vendor.url + path;
  return fetch(url, {
    method: o.method ?? 'GET',
    headers: {
      'payment-signature': paymentHeader({
        url,
        vendorId: vendor.url,
        broker: BROKER,
        epoch: mint.epoch,
        userId: o.user ?? ALICE,
        coins,
        ...(o.resourceUrl !== undefined ? { resourceUrl: o.resourceUrl } : {}),
      }),
      ...(o.accept ? { accept: o.accept } : {}),
      ...(o.cookie ? { cookie: o.cookie } : {}),
    },
  });
}

const stats = () => vendor.mm.store.stats();

describe('paying for a URL', () => {
  it('a valid payment is recorded before the content is served, with a PAYMENT-RESPONSE receipt', async () => {
    const coins = alice.take(1);
    const res = await pay('/api/quote', coins);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      paid: { paymentId: string; replay: boolean };
      stored: { coins: { id: string; status: string }[]; userId: string; url: string };
    };
    const receipt = receiptOf(res);
    assert.equal(receipt.success, true);
    assert.match(receipt.transaction, /^pay_[0-9a-f]{24}$/);
    assert.equal(receipt.payer, ALICE);
    assert.equal(receipt.network, micromintNetwork('http://127.0.0.1:9'));
    assert.deepEqual(receipt.extensions, { micromint: { coins: [coinId(coins[0]!)] } });
    // The paid handler found the payment and its coin in the store: recorded before next().
    assert.equal(body.paid.paymentId, receipt.transaction);
    assert.equal(body.paid.replay, false);
    assert.equal(body.stored.userId, ALICE);
    assert.equal(body.stored.url, `${vendor.url}/api/quote`);
    assert.deepEqual(body.stored.coins, [{ id: coinId(coins[0]!), status: 'pending' }]);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /PAYMENT-RESPONSE/);
  });

  it('a .mm-priced static file is served once paid with the right number of coins', async () => {
    const before = await stats();
    const res = await pay('/articles/paid.html', alice.take(2));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<h1>Paid article</h1>');
    assert.ok(res.headers.get('payment-response'));
    const now = await stats();
    assert.equal(now.payments, before.payments + 1);
    assert.equal(now.coins, before.coins + 2);
  });

  it('retrying the same payment for the same URL serves it again and records nothing twice', async () => {
    const coins = alice.take(2);
    const first = await pay('/articles/paid.html', coins);
    assert.equal(first.status, 200);
    const mid = await stats();
    const again = await pay('/articles/paid.html', coins);
    assert.equal(again.status, 200);
    assert.equal(await again.text(), '<h1>Paid article</h1>');
    assert.equal(receiptOf(again).transaction, receiptOf(first).transaction);
    assert.deepEqual(await stats(), mid);
  });

  it('the same coins for another URL are a double spend: 402 already-spent, logged, nothing recorded', async () => {
    const coins = alice.take(1);
    assert.equal((await pay('/articles/cheap.html', coins)).status, 200);
    const before = await stats();
    const res = await pay('/api/quote', coins, { accept: 'application/json' });
    assert.equal(res.status, 402);
    const challenge = challengeOf(res);
    assert.equal(challenge.error, 'already-spent');
    assert.deepEqual(challenge.extensions, { micromint: { refused: [{ coinId: coinId(coins[0]!), reason: 'already-spent' }] } });
    assert.deepEqual(await res.json(), challenge);
    const now = await stats();
    assert.equal(now.refusals, before.refusals + 1);
    assert.equal(now.payments, before.payments);
    assert.equal(now.coins, before.coins);
    assert.ok(vendor.logger.warnings.some((w) => w.includes('double spend')));
  });

  it('a double spend answers an Invalid-Payment message naming the coins to wallets that ask for one', async () => {
    const coins = alice.take(1);
    assert.equal((await pay('/articles/cheap.html', coins)).status, 200);
    const res = await pay('/api/feeds/news', [coins[0]!, ...alice.take(1)], { accept: MICROMINT_MIME });
    assert.equal(res.status, 402);
    assert.equal(res.headers.get('content-type')?.split(';')[0], MICROMINT_MIME);
    const inv = decodeInvalidPayment(mint.epoch, await res.text());
    assert.equal(inv.reason, 'already-spent');
    assert.equal(inv.url, `${vendor.url}/api/feeds/news`);
    assert.equal(inv.refused.length, 1);
    assert.equal(coinId(inv.refused[0]!.coin), coinId(coins[0]!));
    assert.equal(inv.refused[0]!.reason, 'already-spent');
  });

  it('a coin repeated inside one payment is refused as already-spent and logged', async () => {
    const [c] = alice.take(1);
    const before = await stats();
    const res = await pay('/articles/paid.html', [c!, c!]);
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'already-spent');
    const now = await stats();
    assert.equal(now.refusals, before.refusals + 1);
    assert.equal(now.coins, before.coins);
  });

  it('the same coins paid by GET cannot buy a POST of the same URL (payments bind method + URL)', async () => {
    const coins = alice.take(3);
    const post = await pay('/api/action', coins, { method: 'POST' });
    assert.equal(post.status, 200);
    assert.equal(((await post.json()) as { done: boolean }).done, true);
    const replay = await pay('/api/action', coins, { method: 'POST' });
    assert.equal(replay.status, 200);
    assert.equal(receiptOf(replay).transaction, receiptOf(post).transaction);
    const other = await pay('/api/action', coins, { method: 'PUT' });
    assert.equal(other.status, 402);
    assert.equal(challengeOf(other).error, 'already-spent');
  });

  it('concurrent payments with the same coins for different URLs: exactly one is served', async () => {
    const coins = alice.take(1);
    const before = await stats();
    const paths = ['/articles/cheap.html', '/api/quote', '/api/feeds/a', '/api/feeds/b', '/club/'];
    const results = await Promise.all(
      paths.map(async (p) => {
        const res = await pay(p, coins);
        await res.body?.cancel();
        return res.status;
      }),
    );
    // Only cheap.html and /api/quote cost 1 coin; the others are wrong-amount.
    assert.equal(results.filter((s) => s === 200).length, 1);
    const now = await stats();
    assert.equal(now.coins, before.coins + 1);
    assert.equal(now.refusals, before.refusals + 1);
  });

  it('HEAD answers 402 headers without a body, and can be paid', async () => {
    const res = await fetch(`${vendor.url}/articles/cheap.html`, { method: 'HEAD' });
    assert.equal(res.status, 402);
    assert.ok(res.headers.get('payment-required'));
    assert.equal(await res.text(), '');
    const paid = await pay('/articles/cheap.html', alice.take(1), { method: 'HEAD' });
    assert.equal(paid.status, 200);
    assert.ok(paid.headers.get('payment-response'));
  });
});

describe('refused payments record nothing', () => {
  const cases: [string, () => { coins: Uint8Array[]; user?: string }, string][] = [
    ['coins made out to another vendor', () => ({ coins: new Wallet(mint, ALICE, 'http://127.0.0.1:1').take(2) }), 'wrong-vendor'],
    ["another user's coins", () => ({ coins: bob.take(2), user: ALICE }), 'wrong-user'],
    ['random balls (fixed bits)', () => ({ coins: [randomBytes(64), randomBytes(64)] }), 'fixed-bits'],
    [
      'a coin whose balls repeat',
      () => {
        const c = alice.take(1)[0]!;
        const dup = c.slice();
        dup.set(c.subarray(0, 16), 16);
        return { coins: [dup, alice.take(1)[0]!] };
      },
      'duplicate-ball',
    ],
  ];
  for (const [what, make, reason] of cases) {
    it(`${what} -> 402 ${reason}`, async () => {
      const { coins, user } = make();
      const before = await stats();
      const res = await pay('/articles/paid.html', coins, { ...(user ? { user } : {}), accept: 'application/json' });
      assert.equal(res.status, 402);
      const challenge = challengeOf(res);
      assert.equal(challenge.error, reason);
      const refused = (challenge.extensions as { micromint: { refused: { coinId: string; reason: string }[] } }).micromint.refused;
      assert.ok(refused.length >= 1);
      assert.ok(refused.every((r) => r.reason === reason && /^[0-9a-f]{32}$/.test(r.coinId)));
      assert.deepEqual(await stats(), before);
    });
  }

  it('a wrong number of coins -> 402 wrong-amount', async () => {
    const before = await stats();
    const res = await pay('/articles/paid.html', alice.take(1));
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'wrong-amount');
    const three = await pay('/articles/paid.html', alice.take(3));
    assert.equal(challengeOf(three).error, 'wrong-amount');
    assert.deepEqual(await stats(), before);
  });

  it('a payment for another URL -> 402 wrong-url', async () => {
    const res = await pay('/articles/cheap.html', alice.take(1), { resourceUrl: `${vendor.url}/api/quote` });
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'wrong-url');
  });

  it('a payment without resource.url is bound to the URL it is sent to', async () => {
    const res = await pay('/articles/cheap.html', alice.take(1), { resourceUrl: null });
    assert.equal(res.status, 200);
  });

  it('an unknown epoch -> 402 unknown-epoch', async () => {
    const url = `${vendor.url}/articles/cheap.html`;
    const payload: PaymentPayload = {
      x402Version: 2,
      resource: { url },
      accepted: micromintRequirements({ price: 1, vendorId: vendor.url, broker: BROKER, epoch: 'other-epoch' }),
      payload: { ...micromintPayload('other-epoch', ALICE, alice.take(1)) },
    };
    const res = await fetch(url, { headers: { 'payment-signature': encodeHeader(payload), accept: MICROMINT_MIME } });
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'unknown-epoch');
    assert.equal(decodeInvalidPayment(mint.epoch, await res.text()).reason, 'unknown-epoch');
  });

  it('a scheme this vendor does not take -> 402 unsupported-scheme', async () => {
    const url = `${vendor.url}/articles/cheap.html`;
    const accepted = {
      ...micromintRequirements({ price: 1, vendorId: vendor.url, broker: BROKER, epoch: mint.epoch.id }),
      scheme: 'payword',
    };
    const header = encodeHeader({ x402Version: 2, accepted, payload: { chain: 'x' } });
    const res = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'unsupported-scheme');
  });

  it('a payment made out to another payTo -> 402 wrong-vendor', async () => {
    const url = `${vendor.url}/articles/cheap.html`;
    const header = encodeHeader({
      x402Version: 2,
      resource: { url },
      accepted: micromintRequirements({ price: 1, vendorId: 'http://127.0.0.1:1', broker: BROKER, epoch: mint.epoch.id }),
      payload: { ...micromintPayload(mint.epoch.id, ALICE, alice.take(1)) },
    });
    const res = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(challengeOf(res).error, 'wrong-vendor');
  });
});

describe('malformed PAYMENT-SIGNATURE -> 400 invalid_payment_header, nothing consumed', () => {
  const url = () => `${vendor.url}/articles/paid.html`;
  const good = (patch: (p: PaymentPayload) => void = () => undefined): string => {
    const p: PaymentPayload = {
      x402Version: 2,
      resource: { url: url() },
      accepted: micromintRequirements({ price: 2, vendorId: vendor.url, broker: BROKER, epoch: mint.epoch.id }),
      payload: { ...micromintPayload(mint.epoch.id, ALICE, alice.take(2)) },
    };
    patch(p);
    return encodeHeader(p);
  };
  const cases: [string, () => string][] = [
    ['not base64', () => '%%%not-base64%%%'],
    ['base64 of something that is not JSON', () => toBase64(new TextEncoder().encode('hello, world'))],
    ['JSON that is not an object', () => toBase64(new TextEncoder().encode('[1,2,3]'))],
    ['wrong x402 version', () => good((p) => ((p as { x402Version: number }).x402Version = 1))],
    ['no accepted', () => good((p) => delete (p as Partial<PaymentPayload>).accepted)],
    ['micromint requirement without extra', () => good((p) => delete p.accepted.extra)],
    ['no epoch in the payload', () => good((p) => delete p.payload.epoch)],
    ['a coin of the wrong size', () => good((p) => ((p.payload.coins as string[])[0] = toBase64(randomBytes(48))))],
    ['a coin that is not base64', () => good((p) => ((p.payload.coins as string[])[0] = '***'))],
    ['no coins', () => good((p) => (p.payload.coins = []))],
    ['a bad user id', () => good((p) => (p.payload.userId = 'has spaces in it'))],
    // Over the 8 KiB header limit, yet within Node's 16 KiB: the middleware's own 400.
    ['oversized (over 8 KiB)', () => good((p) => (p.payload.coins = Array.from({ length: 100 }, () => toBase64(randomBytes(64)))))],
  ];
  for (const [what, header] of cases) {
    it(what, async () => {
      const before = await stats();
      const res = await fetch(url(), { headers: { 'payment-signature': header() } });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'invalid_payment_header');
      assert.ok(body.message.length > 0);
      assert.deepEqual(await stats(), before);
    });
  }
});

describe('access window cookie', () => {
  it('lets the same browser re-view a paid URL without paying, for that URL only', async () => {
    const paid = await pay('/articles/paid.html', alice.take(2));
    assert.equal(paid.status, 200);
    const setCookie = paid.headers.getSetCookie();
    assert.equal(setCookie.length, 1);
    assert.match(setCookie[0]!, /HttpOnly/i);
    assert.match(setCookie[0]!, /SameSite=Lax/i);
    assert.match(setCookie[0]!, /Path=\/articles\/paid\.html/);
    assert.match(setCookie[0]!, /Max-Age=600/);
    const cookie = cookiesOf(paid);
    const before = await stats();

    const again = await fetch(`${vendor.url}/articles/paid.html`, { headers: { cookie } });
    assert.equal(again.status, 200);
    assert.equal(await again.text(), '<h1>Paid article</h1>');
    assert.equal(again.headers.get('payment-response'), null);
    // Another URL is not covered, even with the cookie under its name.
    const [name, value] = cookie.split('=') as [string, string];
    const other = await fetch(`${vendor.url}/articles/cheap.html`, { headers: { cookie } });
    assert.equal(other.status, 402);
    void name;
    void value;
    assert.deepEqual(await stats(), before);
  });

  it('a tampered cookie does not open the page', async () => {
    const paid = await pay('/articles/paid.html', alice.take(2));
    const cookie = cookiesOf(paid);
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    const [expiry, mac] = value.split('.') as [string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const tampered = [
      `${name}=${expiry}.${flip(mac)}`, // forged MAC
      `${name}=${Number(expiry) + 3600}.${mac}`, // extended expiry
      `${name}=${expiry}`, // no MAC
      `${name}=9999999999.${mac}`, // far future
    ];
    for (const c of tampered) {
      const res = await fetch(`${vendor.url}/articles/paid.html`, { headers: { cookie: c } });
      assert.equal(res.status, 402, c);
    }
  });

  it('a cookie does not let a POST through', async () => {
    const paid = await pay('/api/action', alice.take(3), { method: 'POST' });
    assert.equal(paid.status, 200);
    assert.deepEqual(paid.headers.getSetCookie(), []);
  });
});

describe('Express 4', () => {
  let v4: Vendor;
  let wallet: Wallet;
  before(async () => {
    v4 = await startVendor({ broker: BROKER, epoch: mint.epoch, flavor: 'express4' });
    wallet = new Wallet(mint, ALICE, v4.url);
  });
  after(() => v4.close());

  it('free content, 402 challenge, paid content, .mm hidden and errors all work on Express 4', async () => {
    const free = await fetch(`${v4.url}/free.html`);
    assert.equal(free.status, 200);
    assert.equal(await free.text(), '<h1>Free article</h1>');
    const challenge = await fetch(`${v4.url}/articles/paid.html`, { headers: { accept: 'application/json' } });
    assert.equal(challenge.status, 402);
    assert.equal(challengeOf(challenge).accepts[0]!.amount, '2');
    const url = `${v4.url}/articles/paid.html`;
    const header = paymentHeader({ url, vendorId: v4.url, broker: BROKER, epoch: mint.epoch, userId: ALICE, coins: wallet.take(2) });
    const paid = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(paid.status, 200);
    assert.equal(await paid.text(), '<h1>Paid article</h1>');
    assert.equal(receiptOf(paid).payer, ALICE);
    assert.equal((await fetch(`${v4.url}/articles/paid.html.mm`)).status, 404);
    const bad = await fetch(url, { headers: { 'payment-signature': 'nope' } });
    assert.equal(bad.status, 400);
    const quote = await fetch(`${v4.url}/api/quote`, {
      headers: {
        'payment-signature': paymentHeader({
          url: `${v4.url}/api/quote`,
          vendorId: v4.url,
          broker: BROKER,
          epoch: mint.epoch,
          userId: ALICE,
          coins: wallet.take(1),
        }),
      },
    });
    assert.equal(quote.status, 200);
    assert.equal(((await quote.json()) as { stored: { coins: unknown[] } }).stored.coins.length, 1);
    // A payment in the body buys the GET on Express 4 too.
    const body = await payInBody(url, paymentMessage({ url, vendorId: v4.url, epoch: mint.epoch, userId: ALICE, coins: wallet.take(2) }));
    assert.equal(body.status, 200);
    assert.equal(await body.text(), '<h1>Paid article</h1>');
    assert.equal(receiptOf(body).success, true);
  });
});
