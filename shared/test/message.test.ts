import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeFundsWithdrawn,
  decodeInvalidPayment,
  decodeMessage,
  decodePayment,
  decodeRequestCredit,
  decodeRequestPayment,
  decodeSendExpired,
  encodeFundsWithdrawn,
  encodeInvalidPayment,
  encodeMessage,
  encodePayment,
  encodeRequestCredit,
  encodeRequestPayment,
  encodeSendExpired,
  MessageError,
} from '../src/index.ts';
import { mintSlots, setFromSlots, testEpoch } from '../src/testing.ts';

const p = testEpoch();
const coin = new Uint8Array(64).map((_, i) => i);
const rp = {
  url: 'http://127.0.0.1:4001/a.html',
  price: 2,
  vendorId: 'http://127.0.0.1:4001',
  broker: 'http://127.0.0.1:4000',
  epoch: 'test-1',
};

describe('MicroMint-1.0 messages round-trip', () => {
  test('Request-Payment is the thesis format', () => {
    const text = encodeRequestPayment(rp);
    assert.equal(
      text,
      'MicroMint-1.0\nRequest-Payment\nUrl: http://127.0.0.1:4001/a.html\nPrice: 2\nVendor-Id: http://127.0.0.1:4001\nBroker: http://127.0.0.1:4000\nEpoch: test-1\nEnd-MicroMint\n',
    );
    assert.deepEqual(decodeRequestPayment(text), rp);
    assert.deepEqual(decodeRequestPayment(text.replace(/\n/g, '\r\n')), rp, 'CRLF is accepted');
  });
  test('Payment, Invalid-Payment, Send-Expired, Request-Credit', () => {
    const pay = { url: rp.url, vendorId: rp.vendorId, userId: 'u_1', epoch: 'test-1', coins: [coin, coin.map((b) => b ^ 1)] };
    assert.deepEqual(decodePayment(p, encodePayment(p, pay)), pay);
    const inv = { url: rp.url, reason: 'already-spent', refused: [{ coin, reason: 'already-spent' as const }] };
    assert.deepEqual(decodeInvalidPayment(p, encodeInvalidPayment(p, inv)), inv);
    const none = { url: rp.url, reason: 'wrong-amount', detail: 'price is 2 coins', refused: [] };
    assert.deepEqual(decodeInvalidPayment(p, encodeInvalidPayment(p, none)), none);
    const se = { broker: rp.broker, userId: 'u_1', epoch: 'test-1', returnUrl: 'http://127.0.0.1:4000/api/credit' };
    assert.deepEqual(decodeSendExpired(encodeSendExpired(se)), se);
    const rc = { broker: rp.broker, userId: 'u_1', epoch: 'test-1', balls: [coin.slice(0, 16), coin.slice(16, 32)] };
    assert.deepEqual(decodeRequestCredit(encodeRequestCredit(rc)), rc);
  });
  test('Funds-Withdrawn carries the epoch and verified sets', () => {
    const slots = mintSlots(p);
    const set = setFromSlots(p, slots, 'u_1', 9);
    const text = encodeFundsWithdrawn({
      broker: rp.broker,
      withdrawalId: 'w_1',
      userId: 'u_1',
      epoch: p,
      sets: [set],
      coins: set.balls[0]!.size,
    });
    assert.ok(text.split('\n').every((l) => l.length <= 76 + 30));
    const f = decodeFundsWithdrawn(text);
    assert.equal(f.coins, set.balls[0]!.size);
    assert.deepEqual(f.epoch, p);
    assert.throws(() => decodeFundsWithdrawn(text.replace('Coins: ', 'Coins: 1')), MessageError);
    assert.throws(() => decodeFundsWithdrawn(text.replace('User-Id: u_1', 'User-Id: u_2')), MessageError);
  });
});

describe('strict decoding', () => {
  const good = encodeRequestPayment(rp);
  const cases: [string, string][] = [
    ['no magic', good.replace('MicroMint-1.0', 'MicroMint-2.0')],
    ['no end', good.replace('End-MicroMint\n', '')],
    ['unknown type', good.replace('Request-Payment', 'Give-Money')],
    ['unknown header', good.replace('Epoch:', 'Colour: red\nEpoch:')],
    ['repeated header', good.replace('Epoch:', 'Price: 3\nEpoch:')],
    ['missing header', good.replace(/Broker: .*\n/, '')],
    ['not a header line', good.replace('Price: 2', 'Price 2')],
    ['non-ASCII', good.replace('a.html', 'ä.html')],
    ['data where none belongs', good.replace('End-MicroMint', 'Data-Size: 3\nAAAA\nEnd-MicroMint')],
  ];
  for (const [name, text] of cases) test(`refuses: ${name}`, () => assert.throws(() => decodeMessage(text), MessageError));
  test('refuses a bad price, a wrong Data-Size, bad base64, an unexpected type and an oversized message', () => {
    assert.throws(() => decodeRequestPayment(good.replace('Price: 2', 'Price: -2')), MessageError);
    assert.throws(() => decodeRequestPayment(good.replace('Price: 2', 'Price: 0')), MessageError);
    const pay = encodePayment(p, { url: rp.url, vendorId: rp.vendorId, userId: 'u_1', epoch: 'e', coins: [coin] });
    assert.throws(() => decodePayment(p, pay.replace('Data-Size: 64', 'Data-Size: 65')), /Data-Size/);
    assert.throws(() => decodePayment(p, pay.replace(/(Data-Size: 64\n)(.)/, '$1*')), MessageError);
    assert.throws(() => decodePayment(p, pay.replace('Coins: 1', 'Coins: 2')), MessageError);
    assert.throws(() => decodeMessage(pay, 'Request-Payment'), /expected a Request-Payment/);
    assert.throws(() => decodeMessage(good, undefined, 10), /larger/);
    assert.throws(() => encodeMessage({ type: 'Payment', headers: { Url: 'x' } }), MessageError);
  });
  test('X- extension headers pass', () => {
    const text = good.replace('Epoch:', 'X-Trace: 1\nEpoch:');
    assert.equal(decodeMessage(text).headers['X-Trace'], '1');
  });
});
