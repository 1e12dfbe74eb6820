import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodePaymentPayload,
  decodePaymentRequired,
  decodeSettlementResponse,
  encodeHeader,
  micromintPayload,
  micromintRequirements,
  PaymentHeaderError,
  readMicromintPayload,
  readMicromintRequirements,
  toBase64,
  utf8,
} from '../src/index.ts';

const req = micromintRequirements({ price: 2, vendorId: 'http://127.0.0.1:4001', broker: 'http://127.0.0.1:4000/', epoch: 'e1' });
const k4 = { k: 4 };

describe('x402 headers', () => {
  test('PAYMENT-REQUIRED round-trips and names the scheme, price, vendor, broker and epoch', () => {
    const header = encodeHeader({ x402Version: 2, resource: { url: 'http://127.0.0.1:4001/a' }, accepts: [req] });
    const back = decodePaymentRequired(header);
    assert.equal(back.accepts[0]!.network, 'mmint:NWIRckqguyNuoqZ71xyOgw');
    assert.deepEqual(readMicromintRequirements(back.accepts[0]!), {
      price: 2,
      broker: 'http://127.0.0.1:4000/',
      epoch: 'e1',
      vendorId: 'http://127.0.0.1:4001',
    });
  });
  test('PAYMENT-SIGNATURE round-trips with coins of k balls', () => {
    const coin = new Uint8Array(64).fill(9);
    const header = encodeHeader({ x402Version: 2, accepted: req, payload: micromintPayload('e1', 'u_1', [coin]) });
    const got = readMicromintPayload(k4, decodePaymentPayload(header));
    assert.deepEqual(got, { epoch: 'e1', userId: 'u_1', coins: [coin] });
  });
  test('malformed headers are PaymentHeaderError with a reason', () => {
    const bad = (v: unknown) => assert.throws(() => decodePaymentPayload(v), PaymentHeaderError);
    bad(undefined);
    bad('');
    bad('!!!not base64');
    bad(toBase64(utf8('not json')));
    bad(encodeHeader([1, 2]));
    bad(encodeHeader({ x402Version: 1, accepted: req, payload: {} }));
    bad(encodeHeader({ x402Version: 2, accepted: { ...req, amount: '-1' }, payload: {} }));
    bad(encodeHeader({ x402Version: 2, accepted: req }));
    bad('A'.repeat(70_000));
    const coins = (c: unknown) => encodeHeader({ x402Version: 2, accepted: req, payload: { epoch: 'e1', userId: 'u_1', coins: c } });
    const badPayload = (h: string) => assert.throws(() => readMicromintPayload(k4, decodePaymentPayload(h)), PaymentHeaderError);
    badPayload(coins([]));
    badPayload(coins(['AAAA']));
    badPayload(coins(['%%%']));
    badPayload(coins('x'));
    assert.throws(() => decodePaymentRequired(encodeHeader({ x402Version: 2, resource: { url: 'x' }, accepts: [] })), PaymentHeaderError);
  });
  test('PAYMENT-RESPONSE', () => {
    const r = { success: true, transaction: 'p_1', network: req.network, payer: 'u_1' };
    assert.deepEqual(decodeSettlementResponse(encodeHeader(r)), r);
    assert.throws(() => decodeSettlementResponse(encodeHeader({ success: true })), PaymentHeaderError);
  });
});
