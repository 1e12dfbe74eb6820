/** Reading offers and purchases as a wallet does (shared/src/wallet): quotes, where to pay, what to store. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeFundsWithdrawn,
  importRefusal,
  importSummary,
  isLoopbackHost,
  isPayableUrl,
  micromintRequirements,
  newAgreementKey,
  originOf,
  PaymentHeaderError,
  paywordRequirements,
  quoteMicromint,
  quotePayword,
  readFunds,
} from '../src/index.ts';
import { mintSlots, setFromSlots, testEpoch } from '../src/testing.ts';

const broker = 'http://127.0.0.1:4000';
const vendorId = 'http://127.0.0.1:4001';

describe('quotes', () => {
  test('a micromint offer: its price in coins is its mills; its vendor is its payTo; its network checked on request', () => {
    const offer = micromintRequirements({ price: 3, vendorId, broker, epoch: 'e1' });
    assert.deepEqual(quoteMicromint(offer), { scheme: 'micromint', price: 3, mills: 3, vendorId, broker, epoch: 'e1' });
    assert.throws(() => quoteMicromint({ ...offer, payTo: 'http://127.0.0.1:9' }), /differs from payTo/);
    assert.throws(() => quoteMicromint({ ...offer, amount: '0' }), RangeError);
    const elsewhere = { ...offer, network: 'mmint:elsewhere' };
    assert.equal(quoteMicromint(elsewhere).price, 3);
    assert.throws(() => quoteMicromint(elsewhere, { checkCoinNetwork: true }), /network/);
  });

  test('a payword offer costs its units of links, and pays only on its broker\u2019s network', () => {
    const vendorKey = newAgreementKey().publicKey;
    const offer = paywordRequirements({ price: 3, vendorId, broker, vendorKey, linkValue: 2 });
    const q = quotePayword(offer);
    assert.deepEqual(
      [q.scheme, q.price, q.mills, q.vendorId, q.broker, q.link?.units, q.link?.value],
      ['payword', 3, 4, vendorId, broker, 2, 2],
    );
    assert.throws(() => quotePayword({ ...offer, network: 'mmint:elsewhere' }), /network/);
    assert.throws(() => quotePayword({ ...offer, amount: '2.5' }), TypeError);
    assert.throws(() => quotePayword({ ...offer, extra: { ...offer.extra, vendorKey: 'x' } }), PaymentHeaderError);
  });

  test('a wallet pays over https, or over http to this machine only', () => {
    for (const h of ['localhost', 'A.LOCALHOST', '127.0.0.1', '127.9.8.7', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['example.com', '10.0.0.1', '127.0.0.1.example.com', 'localhost.example']) assert.equal(isLoopbackHost(h), false, h);
    assert.equal(isPayableUrl('https://example.com/a'), true);
    assert.equal(isPayableUrl(new URL('http://127.0.0.1:4001/a')), true);
    for (const u of ['http://example.com/a', 'ftp://127.0.0.1/a', 'not a url']) assert.equal(isPayableUrl(u), false, u);
  });
});

describe('storing a purchase', () => {
  const epoch = testEpoch();
  const set = setFromSlots(epoch, mintSlots(epoch), 'u_1', 3);
  const funds = { broker, withdrawalId: 'w_1', userId: 'u_1', epoch, sets: [set], coins: set.balls[0]!.size };
  const now = Date.parse('2099-01-01T00:00:00Z');

  test('readFunds decodes a Funds-Withdrawn message, or refuses it as invalid-message', () => {
    const read = readFunds(encodeFundsWithdrawn(funds));
    assert.ok('funds' in read);
    assert.deepEqual(importSummary(read.funds), {
      withdrawalId: 'w_1',
      userId: 'u_1',
      epoch: 'test-1',
      broker,
      sets: 1,
      coins: funds.coins,
    });
    const bad = readFunds('hello');
    assert.ok(
      'refusal' in bad && bad.refusal.code === 'invalid-message' && bad.refusal.message.startsWith('not a Funds-Withdrawn message'),
    );
    assert.throws(() => readFunds(7), TypeError);
  });

  test('importRefusal: another broker origin, another user, an expired epoch', () => {
    assert.equal(importRefusal(funds, { broker: `${broker}/wallet`, userId: 'u_1', now }), undefined);
    assert.equal(importRefusal(funds, { now }), undefined, 'a new wallet takes any');
    assert.equal(importRefusal(funds, { broker: 'http://127.0.0.1:9', now })?.code, 'wrong-broker');
    assert.equal(importRefusal(funds, { broker: 'not a url', now })?.code, 'wrong-broker');
    assert.equal(importRefusal(funds, { userId: 'u_2', now })?.code, 'wrong-user');
    assert.equal(importRefusal(funds, { now: Date.parse('2100-01-01T00:00:00Z') })?.code, 'expired');
    assert.equal(originOf('no url'), undefined);
  });
});
