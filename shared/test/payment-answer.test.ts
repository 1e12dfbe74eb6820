/**
 * The answer to a paid request, rule by rule as docs/protocol.md 9.1 lists them ("Reading the
 * answer"): the first rule that applies decides.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeader, micromintRequirements, readPaymentAnswer, refusedCoins, releasedCoins } from '../src/index.ts';

const ID = 'ab'.repeat(16);
const headersOf = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()];
const receipt = (r: Record<string, unknown>) => encodeHeader({ network: 'mmint:x', transaction: '', ...r });

test('1. a successful receipt is paid whatever the status', () => {
  const text = receipt({ success: true, transaction: 'pay_1', extensions: { payword: { index: 3, units: 1 } } });
  for (const status of [200, 301, 400, 404, 500])
    assert.deepEqual(readPaymentAnswer(status, headersOf({ 'payment-response': text })), {
      kind: 'paid',
      transaction: 'pay_1',
      receipt: text,
      payword: { index: 3, units: 1 },
    });
});

test('2. a failed receipt saying no_payment_required or not_served is released, whatever the status', () => {
  for (const reason of ['no_payment_required', 'not_served']) {
    const text = receipt({ success: false, errorReason: reason, extensions: { micromint: { released: [ID, 'junk'] } } });
    assert.deepEqual(readPaymentAnswer(500, headersOf({ 'payment-response': text })), {
      kind: 'released',
      reason,
      released: [ID],
      receipt: text,
    });
  }
});

test('3-5. a failed receipt on a 2xx, a 402 and a 400 are refused, with the checked refused coins', () => {
  const text = receipt({
    success: false,
    errorReason: 'bad-coin',
    extensions: { micromint: { refused: [{ coinId: ID, reason: 'already-spent' }] } },
  });
  assert.deepEqual(readPaymentAnswer(200, headersOf({ 'payment-response': text })), {
    kind: 'refused',
    error: 'bad-coin',
    refused: [{ coinId: ID, reason: 'already-spent' }],
    receipt: text,
  });
  const required = encodeHeader({
    x402Version: 2,
    error: 'already-spent',
    resource: { url: 'https://shop.example/a' },
    accepts: [micromintRequirements({ price: 2, vendorId: 'https://shop.example', broker: 'https://broker.example', epoch: 'e1' })],
    extensions: { micromint: { refused: [{ coinId: ID, reason: 'already-spent' }] } },
  });
  assert.deepEqual(readPaymentAnswer(402, headersOf({ 'payment-required': required })), {
    kind: 'refused',
    error: 'already-spent',
    refused: [{ coinId: ID, reason: 'already-spent' }],
  });
  assert.deepEqual(readPaymentAnswer(402, headersOf({ 'payment-required': 'not base64 json' })), {
    kind: 'refused',
    error: 'payment-required',
    refused: [],
  });
  assert.deepEqual(readPaymentAnswer(400, headersOf({})), { kind: 'refused', error: 'invalid_payment_header', refused: [] });
});

test('6. anything else is unsettled: a 2xx without a readable receipt, a 5xx', () => {
  assert.deepEqual(readPaymentAnswer(200, headersOf({})), { kind: 'unsettled', why: 'HTTP 200 without PAYMENT-RESPONSE' });
  assert.deepEqual(readPaymentAnswer(204, headersOf({ 'payment-response': '%%%' })), {
    kind: 'unsettled',
    why: 'unreadable PAYMENT-RESPONSE',
  });
  assert.deepEqual(readPaymentAnswer(503, headersOf({})), { kind: 'unsettled', why: 'HTTP 503' });
});

test('coins named in an answer are checked: 32 hex digits, a reason of a-z 0-9 _ -', () => {
  assert.deepEqual(releasedCoins({ micromint: { released: [ID, 'AB'.repeat(16), 7, 'ab'] } }), [ID]);
  assert.deepEqual(releasedCoins(undefined), []);
  assert.deepEqual(
    refusedCoins({
      micromint: {
        refused: [{ coinId: ID, reason: 'already-spent' }, { coinId: ID, reason: '<script>' }, { coinId: 'x', reason: 'y' }, null],
      },
    }),
    [{ coinId: ID, reason: 'already-spent' }],
  );
  assert.deepEqual(refusedCoins({ micromint: { refused: 'x' } }), []);
});
