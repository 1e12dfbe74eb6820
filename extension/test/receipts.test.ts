import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeader, micromintRequirements } from '@micromint/shared';
import { classifyRetryResponse, RetryBook } from '../src/background/receipts.ts';
import { paymentHeaderRule, urlCondition } from '../src/background/retrier.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, VENDOR } from './helpers/mint.ts';

const receipt = (success: boolean, extra: Record<string, unknown> = {}) =>
  encodeHeader({ success, transaction: 'pay_9', network: 'micromint:x', ...extra });

test('a 2xx with a successful PAYMENT-RESPONSE is paid', () => {
  assert.deepEqual(classifyRetryResponse(200, [{ name: 'payment-response', value: receipt(true) }]), {
    kind: 'paid',
    transaction: 'pay_9',
  });
  assert.deepEqual(classifyRetryResponse(200, [{ name: 'PAYMENT-RESPONSE', value: receipt(true) }]), {
    kind: 'paid',
    transaction: 'pay_9',
  });
  assert.equal(
    classifyRetryResponse(200, [{ name: 'payment-response', value: receipt(false, { errorReason: 'expired' }) }]).kind,
    'refused',
  );
});

test('a 2xx without a receipt, a server error or an unreadable receipt leaves the payment pending', () => {
  assert.equal(classifyRetryResponse(200, []).kind, 'unsettled');
  assert.equal(classifyRetryResponse(204, undefined).kind, 'unsettled');
  assert.equal(classifyRetryResponse(200, [{ name: 'payment-response', value: '%%%' }]).kind, 'unsettled');
  assert.equal(classifyRetryResponse(500, []).kind, 'unsettled');
  assert.equal(classifyRetryResponse(302, []).kind, 'unsettled');
});

test('a 402 after paying is a refusal with the vendor reasons; a 400 consumed nothing', () => {
  const refused = [{ coinId: 'cd'.repeat(16), reason: 'already-spent' }];
  const header = challengeHeader(`${VENDOR}/a`, [micromintRequirements({ price: 1, vendorId: VENDOR, broker: BROKER, epoch: 'e' })], {
    error: 'already-spent',
    extensions: { micromint: { refused } },
  });
  assert.deepEqual(classifyRetryResponse(402, [{ name: 'Payment-Required', value: header }]), {
    kind: 'refused',
    error: 'already-spent',
    refused,
  });
  assert.deepEqual(classifyRetryResponse(402, []), { kind: 'refused', error: 'payment-required', refused: [] });
  assert.deepEqual(classifyRetryResponse(400, []), { kind: 'refused', error: 'invalid_payment_header', refused: [] });
});

test('the DNR rule sets the header for exactly that URL in exactly that tab', () => {
  assert.deepEqual(urlCondition('http://127.0.0.1:4001/a?b=1&c=2'), { urlFilter: '|http://127.0.0.1:4001/a?b=1&c=2|' });
  const wild = urlCondition('http://127.0.0.1:4001/a?q=*^|');
  assert.ok('regexFilter' in wild);
  const re = new RegExp(wild.regexFilter);
  assert.equal(re.test('http://127.0.0.1:4001/a?q=*^|'), true);
  assert.equal(re.test('http://127.0.0.1:4001/a?q=xx^|'), false);
  assert.equal(re.test('http://127.0.0.1:4001/a?q=*^|/more'), false);
  const rule = paymentHeaderRule(7, 12, 'https://shop.example/x', 'HEADER');
  assert.equal(rule.id, 7);
  assert.deepEqual(rule.condition, { urlFilter: '|https://shop.example/x|', resourceTypes: ['main_frame'], tabIds: [12] });
  assert.deepEqual(rule.action.requestHeaders, [{ header: 'PAYMENT-SIGNATURE', operation: 'set', value: 'HEADER' }]);
});

test('the retry book keeps one retry per tab and survives a worker restart', async () => {
  const area = memoryArea();
  const book = new RetryBook(area);
  await book.expect({ tabId: 2, url: `${VENDOR}/a`, paymentId: 'p', ruleId: 5, startedAt: 1 });
  const restarted = new RetryBook(area);
  const r = await restarted.get(2);
  assert.equal(r?.paymentId, 'p');
  assert.equal(RetryBook.matches(r!, `${VENDOR}/a#x`), true);
  assert.equal(RetryBook.matches(r!, `${VENDOR}/b`), false);
  assert.equal((await restarted.take(2))?.ruleId, 5);
  assert.equal(await restarted.get(2), undefined);
});
