/**
 * Every bad payword payment gets a clear answer and changes nothing: malformed payloads are 400
 * `invalid_payment_header`; the rest are 402 with the spec's reason (section 12.6) in `error` and
 * `extensions.payword`, nothing recorded, and the chain's next good payment still served.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  decodePaymentPayload,
  encodeHeader,
  newAgreementKey,
  newSigningKey,
  micromintNetwork,
  type PaymentPayload,
} from '@micromint/shared';
import { startBroker, type TestBroker } from './broker.ts';
import { ChainWallet, offerOf, signedChain, type TestChain } from './chains.ts';
import { challengeOf } from './harness.ts';
import { mintEpoch, userId } from './mint.ts';
import { startRegisteredVendor, type Vendor } from './vendor.ts';

const ALICE = userId(0xa11ce);

let broker: TestBroker;
let vendor: Vendor;
let wallet: ChainWallet;
let url: string;

before(async () => {
  broker = await startBroker({ epochs: [mintEpoch({ balls: 2000 }).epoch] });
  vendor = await startRegisteredVendor(broker, {});
  wallet = new ChainWallet(broker, ALICE);
  url = `${vendor.url}/api/quote`;
});
after(async () => {
  await vendor.close();
  await broker.close();
});

const pay = (header: string, to = url) => fetch(to, { headers: { 'payment-signature': header, accept: 'application/json' } });
const rand = (n: number) => new Uint8Array(randomBytes(n));
/** The payload of `header` changed by `patch`, re-encoded. */
const patched = (header: string, patch: (p: PaymentPayload) => PaymentPayload) => encodeHeader(patch(decodePaymentPayload(header)));

/** What a refused payment must leave untouched: the store's counts and the chain's highest index. */
async function snapshot(chain?: TestChain): Promise<unknown> {
  const s = await vendor.mm.store.stats();
  const c = chain ? await vendor.mm.store.paywordChain!(chain.chainId) : undefined;
  return { chains: s.chains, chainPayments: s.chainPayments, payments: s.payments, highest: c?.highestIndex };
}

/** A chain with one link already paid (so the vendor knows it). */
async function knownChain(): Promise<TestChain> {
  const chain = await wallet.open(await offerOf(url));
  assert.equal((await pay(chain.pay(url).header)).status, 200);
  return chain;
}

/**
 * Sends `header`, expects `status` (and the 402's reason and payword extension), and that nothing
 * was recorded; then, for a chain, that its next good payment is still served.
 */
async function refused(header: string, status: 400 | 402, reason: string, chain?: TestChain, highestIndex?: number): Promise<void> {
  const before = await snapshot(chain);
  const res = await pay(header);
  assert.equal(res.status, status, reason);
  if (status === 400) {
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'invalid_payment_header');
    assert.ok(body.message.length > 0 && !/\bat \S+:\d+/.test(body.message), 'a clear message, no stack');
  } else {
    const c = challengeOf(res);
    assert.equal(c.error, reason);
    const ext = (c.extensions as { payword: { chainId: string; reason: string; highestIndex?: number } }).payword;
    assert.deepEqual(ext, {
      chainId: decodePaymentPayload(header).payload.chainId,
      reason,
      ...(highestIndex !== undefined ? { highestIndex } : {}),
    });
    assert.deepEqual(
      c.accepts.map((a) => a.scheme),
      ['micromint', 'payword'],
      'the 402 offers the schemes again',
    );
  }
  assert.deepEqual(await snapshot(chain), before, `${reason}: nothing recorded`);
  if (chain)
    assert.equal(
      (await pay(chain.pay(url, { withCommitment: false }).header)).status,
      200,
      `${reason}: the next good payment is still served`,
    );
}

describe('malformed payword payloads: 400 invalid_payment_header', () => {
  const cases: [string, (p: PaymentPayload) => PaymentPayload][] = [
    ['chainId not hex', (p) => ({ ...p, payload: { ...p.payload, chainId: 'Z'.repeat(32) } })],
    ['index 0', (p) => ({ ...p, payload: { ...p.payload, index: 0 } })],
    ['index a string', (p) => ({ ...p, payload: { ...p.payload, index: '3' } })],
    ['a huge unit count', (p) => ({ ...p, payload: { ...p.payload, index: 1e9, units: 1e9 } })],
    ['units above the index', (p) => ({ ...p, payload: { ...p.payload, units: 2 } })],
    ['a link of 31 bytes', (p) => ({ ...p, payload: { ...p.payload, link: Buffer.from(rand(31)).toString('base64') } })],
    ['a MAC that is not base64', (p) => ({ ...p, payload: { ...p.payload, mac: '!!!' } })],
    ['a commitment without its authorization', (p) => ({ ...p, payload: { ...p.payload, authorization: undefined } })],
    ['no payload fields', (p) => ({ ...p, payload: {} })],
    ['extra.vendorKey missing', (p) => ({ ...p, accepted: { ...p.accepted, extra: { ...p.accepted.extra, vendorKey: undefined } } })],
    ['extra.units not the price', (p) => ({ ...p, accepted: { ...p.accepted, extra: { ...p.accepted.extra, units: 7 } } })],
  ];
  for (const [what, patch] of cases) {
    it(what, async () => {
      const chain = await wallet.open(await offerOf(url));
      await refused(patched(chain.pay(url).header, patch), 400, what);
    });
  }
});

describe('refused payword payments: 402 with the reason, nothing taken', () => {
  it('unknown-chain: a chain the vendor never saw, without its commitment', async () => {
    const chain = await wallet.open(await offerOf(url));
    await refused(chain.pay(url, { withCommitment: false }).header, 402, 'unknown-chain');
  });

  it('wrong-network and wrong-vendor: an offer of another broker, or made out to another vendor', async () => {
    const chain = await knownChain();
    const other = { ...chain.offer, network: micromintNetwork('http://127.0.0.1:1') };
    await refused(chain.pay(url, { accepted: other, keepIndex: true }).header, 402, 'wrong-network', chain);
    const elsewhere = { ...chain.offer, payTo: 'http://127.0.0.1:1' };
    await refused(chain.pay(url, { accepted: elsewhere, keepIndex: true }).header, 402, 'wrong-vendor', chain);
  });

  it('bad-commitment: the commitment of another chain, or bytes that are no commitment', async () => {
    const chain = await wallet.open(await offerOf(url));
    const other = await wallet.open(await offerOf(url));
    const swapped = patched(chain.pay(url, { keepIndex: true }).header, (p) => ({
      ...p,
      payload: { ...p.payload, commitment: Buffer.from(other.bytes).toString('base64') },
    }));
    await refused(swapped, 402, 'bad-commitment');
  });

  it('bad-authorization: a commitment signed by another key than the broker\u2019s', async () => {
    const forged = signedChain(await offerOf(url), ALICE, newSigningKey().secretKey);
    await refused(forged.pay(url).header, 402, 'bad-authorization');
  });

  it('wrong-vendor: a commitment for another vendor (authorized by the broker)', async () => {
    const chain = signedChain(await offerOf(url), ALICE, broker.payword.key.secretKey, { vendorId: 'http://127.0.0.1:1' });
    await refused(chain.pay(url).header, 402, 'wrong-vendor');
  });

  it('wrong-vendor-key: a commitment naming another vendor key', async () => {
    const chain = signedChain(await offerOf(url), ALICE, broker.payword.key.secretKey, { vendorKey: newAgreementKey().publicKey });
    await refused(chain.pay(url).header, 402, 'wrong-vendor-key');
  });

  it('wrong-network: a commitment naming another broker', async () => {
    const chain = signedChain(await offerOf(url), ALICE, broker.payword.key.secretKey, { broker: 'http://127.0.0.1:1' });
    await refused(chain.pay(url).header, 402, 'wrong-network');
  });

  it('expired: a chain past its expiresAt', async () => {
    const chain = signedChain(await offerOf(url), ALICE, broker.payword.key.secretKey, { expiresAt: Math.floor(Date.now() / 1000) - 1 });
    await refused(chain.pay(url).header, 402, 'expired');
  });

  it('index-out-of-range: an index beyond the chain\u2019s length', async () => {
    const chain = await knownChain();
    await refused(chain.pay(url, { index: 65, link: rand(32), keepIndex: true }).header, 402, 'index-out-of-range', chain, 1);
  });

  it('wrong-amount: more links than the price', async () => {
    const chain = await knownChain();
    await refused(chain.pay(url, { units: 3, keepIndex: true }).header, 402, 'wrong-amount', chain, 1);
  });

  it('bad-mac: a MAC that is not the chain key\u2019s', async () => {
    const chain = await knownChain();
    await refused(chain.pay(url, { mac: rand(32), keepIndex: true }).header, 402, 'bad-mac', chain, 1);
  });

  it('bad-link: a forged link, and the link of another chain, each with a good MAC', async () => {
    const chain = await knownChain();
    await refused(chain.pay(url, { link: rand(32), keepIndex: true }).header, 402, 'bad-link', chain, 1);
    const other = await knownChain();
    await refused(chain.pay(url, { link: other.link(2), keepIndex: true }).header, 402, 'bad-link', chain, 2);
  });

  it('too-many-gaps: a 17th unpaid run below the highest link', async () => {
    const chain = await knownChain();
    for (let g = 1; g <= 16; g++) assert.equal((await pay(chain.pay(url, { index: 1 + 2 * g }).header)).status, 200);
    await refused(chain.pay(url, { index: 35, keepIndex: true }).header, 402, 'too-many-gaps', chain, 33);
  });

  it('refusals of an authenticated chain are in the refusal log; junk for a chain nobody authorized is not', async () => {
    const before = (await vendor.mm.store.stats()).refusals;
    const chain = await knownChain();
    assert.equal((await pay(chain.pay(url, { mac: rand(32), keepIndex: true }).header)).status, 402);
    assert.equal((await vendor.mm.store.stats()).refusals, before + 1);
    const forged = signedChain(await offerOf(url), ALICE, newSigningKey().secretKey);
    assert.equal((await pay(forged.pay(url).header)).status, 402);
    assert.equal((await vendor.mm.store.stats()).refusals, before + 1);
  });
});
