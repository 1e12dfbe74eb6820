/**
 * The small pure rules, on their own: the choice of scheme, the size of a new chain, reading a
 * vendor's answer, where a wallet may pay, amounts on the command line, catalog matching.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHeader } from '@micromint/shared';
import { parseMoneyArg } from '../src/cli/money-arg.ts';
import { classifyAnswer } from '../src/pay/answer.ts';
import { catalogPrice, type Catalog } from '../src/pay/catalog.ts';
import { isLoopbackHost } from '../src/pay/challenge.ts';
import { chooseScheme, DEFAULT_CHAIN_POLICY, newChainLength, type ChainFacts } from '../src/pay/choose-scheme.ts';

const chain: ChainFacts = { mills: 1, units: 1, value: 1, chainFits: false, connected: true, heldMills: 0, methodKnown: true };
const policy = DEFAULT_CHAIN_POLICY;

describe('the choice of scheme (the extension\u2019s rule)', () => {
  it('pays links of a chain that fits, whatever else is offered', () => {
    assert.deepEqual(chooseScheme({ coins: { mills: 1, makeable: 9 }, chain: { ...chain, chainFits: true }, paidBefore: 0, policy }), {
      scheme: 'payword',
      action: 'link',
    });
  });
  it('pays coins at a site met once, opens a chain from the second paid request', () => {
    assert.deepEqual(chooseScheme({ coins: { mills: 1, makeable: 9 }, chain, paidBefore: 0, policy }), { scheme: 'micromint' });
    assert.deepEqual(chooseScheme({ coins: { mills: 1, makeable: 9 }, chain, paidBefore: 1, policy }), {
      scheme: 'payword',
      action: 'open',
      length: 100,
    });
  });
  it('opens a chain at once when coins cannot pay, and says why not when it cannot', () => {
    assert.deepEqual(chooseScheme({ coins: { mills: 5, makeable: 2 }, chain, paidBefore: 0, policy }), {
      scheme: 'payword',
      action: 'open',
      length: 100,
    });
    assert.deepEqual(chooseScheme({ chain: { ...chain, connected: false }, paidBefore: 0, policy }), {
      scheme: 'none',
      reason: 'not-connected',
    });
    assert.deepEqual(chooseScheme({ chain, paidBefore: 0, policy: { ...policy, chainsEnabled: false } }), {
      scheme: 'none',
      reason: 'chains-disabled',
    });
    assert.deepEqual(chooseScheme({ chain: { ...chain, heldMills: 1000 }, paidBefore: 5, policy }), { scheme: 'none', reason: 'held-cap' });
  });
  it('sizes a chain within the held cap and the broker\u2019s most', () => {
    assert.equal(newChainLength({ units: 1, value: 1, chainLinks: 100, heldMills: 950, maxHeldMills: 1000 }), 50);
    assert.equal(newChainLength({ units: 3, value: 1, chainLinks: 100, heldMills: 0, maxHeldMills: 1000, maxLength: 2 }), 0);
    assert.equal(newChainLength({ units: 120, value: 1, chainLinks: 100, heldMills: 0, maxHeldMills: 1000 }), 120);
  });
});

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
  it('pays over http only on this machine', () => {
    for (const h of ['localhost', 'a.localhost', '127.0.0.1', '127.9.8.7', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['example.com', '10.0.0.1', '127.0.0.1.example.com', 'localhost.example']) assert.equal(isLoopbackHost(h), false, h);
  });
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
