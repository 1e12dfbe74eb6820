/**
 * The limits of a payment on the wire agree with the price cap: every payment a vendor may ask
 * for (up to MAX_COINS_PER_PAYMENT coins of any epoch) can be sent, in the header or the body.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BALL_BYTES,
  decodePaymentMessage,
  decodePaymentPayload,
  decodeSettlementResponse,
  encodeHeader,
  encodePayment,
  MAX_COINS_PER_PAYMENT,
  MAX_PAYMENT_BODY_BYTES,
  MAX_PAYMENT_HEADER_BYTES,
  MessageError,
  micromintPayload,
  micromintRequirements,
  PaymentHeaderError,
  reasonText,
} from '../src/index.ts';

const vendorId = 'http://127.0.0.1:4001';
const coinsOf = (n: number, k: number) => Array.from({ length: n }, (_, i) => new Uint8Array(k * BALL_BYTES).fill(i % 251));

describe('payment size limits', () => {
  test('the largest possible Payment message fits in MAX_PAYMENT_BODY_BYTES, even with CRLF line ends', () => {
    // The worst case of every field: k = 8 (the largest validateParams allows), the price cap in
    // coins, a paid URL of 2048 characters (the most a message header and the broker take), a
    // 512-character vendor origin, a 128-character user id, a 64-character epoch id.
    const k = 8;
    const url = `${vendorId}/${'p'.repeat(2048 - vendorId.length - 1)}`;
    const text = encodePayment(
      { k },
      {
        url,
        vendorId: `http://${'v'.repeat(512 - 9)}:1`,
        userId: 'u'.repeat(128),
        epoch: 'e'.repeat(64),
        coins: coinsOf(MAX_COINS_PER_PAYMENT, k),
      },
    );
    const crlf = text.replace(/\n/g, '\r\n');
    assert.ok(crlf.length <= MAX_PAYMENT_BODY_BYTES, `${crlf.length} > ${MAX_PAYMENT_BODY_BYTES}`);
    const back = decodePaymentMessage(crlf, MAX_PAYMENT_BODY_BYTES);
    assert.equal(back.k, 8);
    assert.equal(back.coins.length, MAX_COINS_PER_PAYMENT);
    assert.equal(back.url, url);
  });

  test('decodePaymentMessage infers k from the data, and refuses data that is not whole coins', () => {
    const pay = { url: `${vendorId}/a`, vendorId, userId: 'u_1', epoch: 'e1', coins: coinsOf(3, 4) };
    assert.deepEqual(decodePaymentMessage(encodePayment({ k: 4 }, pay)), { ...pay, k: 4 });
    assert.equal(decodePaymentMessage(encodePayment({ k: 2 }, { ...pay, coins: coinsOf(2, 2) })).k, 2);
    // 3 coins of 4 balls read as 4 coins: 48 bytes each, 3 balls: still whole balls, so k = 3.
    assert.equal(decodePaymentMessage(encodePayment({ k: 4 }, pay).replace('Coins: 3', 'Coins: 4')).k, 3);
    assert.throws(() => decodePaymentMessage(encodePayment({ k: 4 }, pay).replace('Coins: 3', 'Coins: 5')), MessageError);
    assert.throws(() => decodePaymentMessage(encodePayment({ k: 4 }, pay).replace('Coins: 3', 'Coins: 12')), /2 to 8 balls/);
    assert.throws(() => decodePaymentMessage(encodePayment({ k: 4 }, pay), 100), /larger than 100 bytes/);
  });

  test('PAYMENT-SIGNATURE is read up to MAX_PAYMENT_HEADER_BYTES and refused beyond, pointing at the body', () => {
    const req = micromintRequirements({ price: 1, vendorId, broker: 'http://127.0.0.1:4000', epoch: 'e1' });
    const header = (n: number) =>
      encodeHeader({ x402Version: 2, accepted: req, payload: { ...micromintPayload('e1', 'u_1', coinsOf(n, 4)) } });
    let n = 1;
    while (header(n + 1).length <= MAX_PAYMENT_HEADER_BYTES) n++;
    assert.ok(n >= 60, `only ${n} coins fit in the header`);
    assert.equal((decodePaymentPayload(header(n)).payload.coins as string[]).length, n);
    assert.throws(
      () => decodePaymentPayload(header(n + 1)),
      (e: Error) => e instanceof PaymentHeaderError && /POST/.test(e.message),
    );
  });

  test('a receipt saying nothing was taken has an empty transaction; a receipt of a payment must name it', () => {
    const released = {
      success: false,
      errorReason: 'not_served',
      transaction: '',
      network: 'micromint:x',
      extensions: { micromint: { coins: [], released: ['ab'] } },
    };
    assert.deepEqual(decodeSettlementResponse(encodeHeader(released)), released);
    assert.throws(() => decodeSettlementResponse(encodeHeader({ ...released, success: true })), PaymentHeaderError);
    assert.throws(() => decodeSettlementResponse(encodeHeader({ ...released, transaction: 5 })), PaymentHeaderError);
    assert.equal(reasonText('no_payment_required'), 'the URL is free: no coin was taken');
    assert.match(reasonText('not_served') ?? '', /no coin was taken/);
  });
});
