/**
 * Interop with the x402 ecosystem: the stock x402 client (`@x402/core` and `@x402/fetch`), with a
 * small `micromint` scheme client plugged in, pays the demo shop (this middleware on a real Express
 * server on loopback) with coins bought from a real broker (the broker app over a temp SQLite file,
 * a minted `test` epoch, a user who signs up, adds sandbox funds and buys superbin sets). x402's own
 * decoders and zod schemas must accept every header, and its CAIP-2 rule the network id.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { x402Client } from '@x402/core/client';
import { decodePaymentResponseHeader } from '@x402/core/http';
import { NetworkSchemaV2, PaymentPayloadV2Schema, PaymentRequiredV2Schema, ResourceInfoSchema } from '@x402/core/schemas';
import type { Network, PaymentPayload as X402Payload, PaymentRequirements, SchemeNetworkClient } from '@x402/core/types';
import { wrapFetchWithPayment } from '@x402/fetch';
import {
  coinId,
  decodePaymentRequired,
  isCaip2Network,
  MICROMINT_ASSET,
  MICROMINT_SCHEME,
  micromintNetwork,
  micromintPayload,
  readMicromintRequirements,
  type FundsWithdrawn,
} from '@micromint/shared';
import { Browser, coinsFor, decodeFundsWithdrawn, startBroker, type TestBroker } from '../../broker/test/helpers.ts';
import { createShop, type Shop } from '../examples/shop/server.ts';
import { quietLogger, tempDir } from './harness.ts';

/**
 * The `micromint` scheme for the stock x402 client: pays an offer with coins of the buyer's superbin
 * sets, built for the vendor the offer names. Coins are spent once, in the order they come.
 */
class MicroMintSchemeClient implements SchemeNetworkClient {
  readonly scheme = MICROMINT_SCHEME;
  private readonly spent = new Set<string>();
  constructor(private readonly funds: FundsWithdrawn) {}

  /** A coin is a mill: x402's USD spend caps apply to coins with 3 decimals ($1 = 1000 coins). */
  findDefaultAsset = (asset: string) => (asset === MICROMINT_ASSET ? { asset, decimals: 3, symbol: 'MMC' } : undefined);

  async createPaymentPayload(x402Version: number, requirements: PaymentRequirements) {
    const offer = readMicromintRequirements(requirements);
    if (requirements.network !== micromintNetwork(offer.broker)) throw new Error('the network is not the broker of extra.broker');
    if (offer.epoch !== this.funds.epoch.id) throw new Error(`no coins of epoch ${offer.epoch}`);
    const coins = coinsFor(this.funds, offer.vendorId)
      .filter((c) => !this.spent.has(coinId(c)))
      .slice(0, offer.price);
    if (coins.length < offer.price) throw new Error('not enough coins');
    for (const c of coins) this.spent.add(coinId(c));
    return { x402Version, payload: { ...micromintPayload(offer.epoch, this.funds.userId, coins) } };
  }
}

let broker: TestBroker;
let shop: Shop;
let funds: FundsWithdrawn;
/** The reader's coins, one plugin for every client: a coin spent by one is spent for all. */
let coins: MicroMintSchemeClient;
const tmp = tempDir('mm-x402-');

before(async () => {
  broker = await startBroker();
  const reader = new Browser(broker.base);
  await reader.signUp('reader@example.com');
  assert.equal((await reader.addFunds('1')).status, 303);
  funds = decodeFundsWithdrawn((await reader.buy(2)).text);
  coins = new MicroMintSchemeClient(funds);
  shop = await createShop({ brokerUrl: broker.base, dataDir: join(tmp.dir, 'shop'), logger: quietLogger() });
});
after(async () => {
  await shop?.close();
  await broker?.stop();
  tmp.cleanup();
});

/** The stock client with the micromint plugin for the broker's network, and what it sent. */
function stockClient(o: { spendControls?: Parameters<x402Client['setSpendControls']>[0] } = {}) {
  const sent: X402Payload[] = [];
  const client = new x402Client().register(micromintNetwork(broker.base) as Network, coins);
  if (o.spendControls !== undefined) client.setSpendControls(o.spendControls);
  client.onAfterPaymentCreation(async (ctx) => {
    sent.push(ctx.paymentPayload);
  });
  return { pay: wrapFetchWithPayment(fetch, client), sent };
}

describe('the stock x402 client pays the shop', () => {
  it("reads the 402 with x402's schemas: a CAIP-2 network id, the broker in extra, and resource.mimeType", async () => {
    for (const [path, mimeType] of [
      ['/articles/sourdough-at-altitude.html', 'text/html'],
      ['/api/quote', 'application/json'],
    ] as const) {
      const res = await fetch(shop.url + path, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 402);
      const header = res.headers.get('payment-required')!;
      const challenge = PaymentRequiredV2Schema.parse(decodePaymentRequired(header));
      assert.deepEqual(challenge, decodePaymentRequired(header), 'the schema keeps every member');
      assert.equal(challenge.resource.mimeType, mimeType);
      assert.equal(ResourceInfoSchema.parse(challenge.resource).mimeType, mimeType);
      assert.deepEqual(
        challenge.accepts.map((a) => a.scheme),
        ['micromint', 'payword'],
      );
      for (const offer of challenge.accepts) {
        assert.equal(offer.network, micromintNetwork(broker.base));
        assert.ok(NetworkSchemaV2.safeParse(offer.network).success, "x402's CAIP-2 check");
        assert.ok(isCaip2Network(offer.network), `CAIP-2: ${offer.network}`);
        assert.equal(offer.extra?.broker, broker.base, 'the broker URL travels in extra.broker');
      }
      await res.body?.cancel();
    }
  });

  it('pays an article and the API with coins from the broker, gets the content and the PAYMENT-RESPONSE', async () => {
    const { pay, sent } = stockClient();
    const article = await pay(`${shop.url}/articles/sourdough-at-altitude.html`);
    assert.equal(article.status, 200);
    assert.match(await article.text(), /<h1>Notes on sourdough at altitude<\/h1>/);
    const receipt = decodePaymentResponseHeader(article.headers.get('payment-response')!);
    assert.equal(receipt.success, true);
    assert.equal(receipt.network, micromintNetwork(broker.base));
    assert.equal(receipt.payer, funds.userId);
    assert.match(receipt.transaction, /^pay_/);
    assert.equal((sent[0]!.payload as { coins: string[] }).coins.length, 2);
    assert.equal(((receipt.extensions as { micromint: { coins: string[] } }).micromint.coins ?? []).length, 2);

    const quote = await pay(`${shop.url}/api/quote`, { headers: { accept: 'application/json' } });
    assert.equal(quote.status, 200);
    assert.deepEqual(Object.keys(await quote.json()).sort(), ['by', 'text']);
    assert.equal(decodePaymentResponseHeader(quote.headers.get('payment-response')!).success, true);

    // What the stock client sent is a valid x402 v2 payload, with the offer it accepted and the resource.
    assert.equal(sent.length, 2);
    for (const payload of sent) {
      const parsed = PaymentPayloadV2Schema.parse(payload);
      assert.equal(parsed.accepted.scheme, 'micromint');
      assert.ok(isCaip2Network(parsed.accepted.network));
      assert.ok(parsed.resource?.mimeType);
    }

    // The shop redeems the coins at the broker: 3 coins credited once.
    const report = await shop.middleware.redeem();
    assert.equal(report.credited, 3);
    assert.equal((await shop.middleware.redeem()).credited, 0);
  });

  it("x402's USD spend cap applies to coins through the plugin's asset decimals, and nothing is paid past it", async () => {
    const { pay, sent } = stockClient({ spendControls: { maxAmountPerPayment: '$0.001' } });
    await assert.rejects(pay(`${shop.url}/articles/sourdough-at-altitude.html`), /spendControls/);
    assert.equal(sent.length, 0);
    const cheap = await pay(`${shop.url}/articles/the-lighthouse-keepers-ledger.html`);
    assert.equal(cheap.status, 200);
    assert.equal(decodePaymentResponseHeader(cheap.headers.get('payment-response')!).success, true);
    assert.equal(sent.length, 1);
    assert.equal((await shop.middleware.redeem()).credited, 1);
  });
});
