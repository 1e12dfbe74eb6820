/**
 * The client's small pure rules, on their own: reading a vendor's answer, amounts on the command
 * line, catalog matching. The rules both wallets share (the choice of scheme, the size of a chain,
 * where a wallet may pay) are tested in shared/test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHeader } from '@micromint/shared';
import { parseMoneyArg } from '../src/cli/money-arg.ts';
import { classifyAnswer } from '../src/pay/answer.ts';
import { catalogPrice, type Catalog } from '../src/pay/catalog.ts';

describe('reading the answer to a paid request', () => {
  const receipt = (o: object) => new Headers({ 'payment-response': encodeHeader({ transaction: '', network: 'mmint:x', ...o }) });
  it('a receipt is paid whatever the status; a release names the coins', () => {
    assert.equal(classifyAnswer(500, receipt({ success: true, transaction: 'pay_1' })).kind, 'paid');
    const released = classifyAnswer(
      200,
      receipt({ success: false, errorReason: 'not_served', extensions: { micromint: { released: ['ab'.repeat(16)] } } }),
    );
    assert.deepEqual(released.kind === 'released' && released.released, ['ab'.repeat(16)]);
  });
  it('no receipt on a 2xx or a 5xx leaves the payment pending; a 400 or a 402 refuses it', () => {
    assert.equal(classifyAnswer(200, new Headers()).kind, 'pending');
    assert.equal(classifyAnswer(503, new Headers()).kind, 'pending');
    assert.equal(classifyAnswer(400, new Headers()).kind, 'refused');
    assert.equal(classifyAnswer(402, new Headers()).kind, 'refused');
  });
});

describe('small rules', () => {
  it('reads amounts as dollars, cents or mills', () => {
    assert.deepEqual(
      ['$0.05', '$1', '0.5c', '2¢', '5', '5m'].map((a) => parseMoneyArg(a, 'x')),
      [50, 1000, 5, 20, 5, 5],
    );
    for (const bad of ['', '-1', '0.5', '$0.0005', 'five']) assert.throws(() => parseMoneyArg(bad, 'x'), /must be an amount/);
  });
  it('matches catalog paths as the site does', () => {
    const catalog: Catalog = {
      vendorId: 'http://127.0.0.1:1',
      broker: '',
      network: '',
      schemes: [],
      basePath: '',
      matching: { caseSensitive: false, strict: false },
      prices: [
        { path: '/api/quote', match: 'exact', priceMills: 1 },
        { path: '/articles/*', match: 'glob', priceMills: 2 },
        { match: 'dynamic' },
        { path: '/Story.html', match: 'exact', priceMills: 3, source: 'file' },
      ],
      truncated: false,
    };
    const at = (p: string) => catalogPrice(catalog, new URL(p, 'http://127.0.0.1:1'));
    assert.deepEqual(
      [at('/API/Quote/'), at('/articles/x.html')],
      [
        { kind: 'priced', priceMills: 1 },
        { kind: 'priced', priceMills: 2 },
      ],
    );
    assert.deepEqual(at('/Story.html'), { kind: 'unknown' }, 'after a dynamic entry the catalog cannot tell');
    assert.deepEqual(
      catalogPrice({ ...catalog, prices: catalog.prices.filter((e) => e.match !== 'dynamic') }, new URL('http://127.0.0.1:1/story.html')),
      { kind: 'unlisted' },
    );
  });
});
