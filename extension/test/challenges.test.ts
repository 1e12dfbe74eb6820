import assert from 'node:assert/strict';
import { test } from 'node:test';
import { micromintRequirements, refusedCoins } from '@micromint/shared';
import {
  assertPayable,
  ChallengeError,
  ChallengeStore,
  CHALLENGE_TTL_MS,
  isPayableUrl,
  parseChallenge,
  stripFragment,
} from '../src/background/challenges.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, VENDOR } from './helpers/mint.ts';

const url = `${VENDOR}/article?id=7`;
const offer = (price = 3, vendorId = VENDOR) => micromintRequirements({ price, vendorId, broker: BROKER, epoch: 'test-1' });
const payword = { scheme: 'payword', network: 'payword:x', amount: '3', asset: 'link', payTo: VENDOR, maxTimeoutSeconds: 60 };
const code = (c: string) => (e: unknown) => e instanceof ChallengeError && e.code === c;

test('a challenge is read, and the micromint offer is chosen even when another scheme comes first', () => {
  const c = parseChallenge(challengeHeader(url, [payword, offer()]), `${url}#comments`, 4, DEFAULT_SCHEMES, 1000);
  assert.equal(c.scheme, 'micromint');
  assert.equal(c.url, url);
  assert.equal(c.tabId, 4);
  assert.deepEqual(c.quote, { scheme: 'micromint', price: 3, mills: 3, vendorId: VENDOR, broker: BROKER, epoch: 'test-1' });
  assert.deepEqual(
    c.offers.map((o) => o.handler.scheme),
    ['micromint'],
    'the unreadable payword offer is skipped',
  );
  assert.deepEqual(c.requirement, offer());
  assert.equal(c.seenAt, 1000);
  assert.equal(c.error, undefined);
  assertPayable(c);
});

test('a refusal carries its reason and the refused coins', () => {
  const refused = [{ coinId: 'ab'.repeat(16), reason: 'already-spent' }, { coinId: 'not hex', reason: 'x' }, { reason: 'no id' }];
  const c = parseChallenge(
    challengeHeader(url, [offer()], { error: 'already-spent', extensions: { micromint: { refused } } }),
    url,
    1,
    DEFAULT_SCHEMES,
  );
  assert.equal(c.error, 'already-spent');
  assert.deepEqual(c.refused, [{ coinId: 'ab'.repeat(16), reason: 'already-spent' }]);
  assert.deepEqual(refusedCoins(undefined), []);
  assert.deepEqual(refusedCoins({ micromint: { refused: 'x' } }), []);
});

test('unreadable terms and unknown schemes are refused', () => {
  assert.throws(() => parseChallenge('not base64 json', url, 1, DEFAULT_SCHEMES), code('unreadable'));
  assert.throws(() => parseChallenge(undefined, url, 1, DEFAULT_SCHEMES), code('unreadable'));
  assert.throws(() => parseChallenge(challengeHeader(url, [payword]), url, 1, DEFAULT_SCHEMES), code('no-supported-scheme'));
  // A micromint offer without its extra fields cannot be quoted.
  const { extra: _extra, ...bare } = offer();
  assert.throws(() => parseChallenge(challengeHeader(url, [bare]), url, 1, DEFAULT_SCHEMES), code('no-supported-scheme'));
  const wrongExtra = { ...offer(), extra: { broker: BROKER, epoch: 'e', vendorId: 'http://evil.test' } };
  assert.throws(() => parseChallenge(challengeHeader(url, [wrongExtra]), url, 1, DEFAULT_SCHEMES), code('no-supported-scheme'));
  assert.throws(() => parseChallenge(challengeHeader(url, [offer(0)]), url, 1, DEFAULT_SCHEMES), code('no-supported-scheme'));
});

test('the wallet pays only the origin of the page, and only over https or loopback http', () => {
  const other = parseChallenge(challengeHeader(url, [offer(3, 'http://127.0.0.1:9999')]), url, 1, DEFAULT_SCHEMES);
  assert.throws(() => assertPayable(other), code('vendor-mismatch'));
  const elsewhere = parseChallenge(challengeHeader('http://127.0.0.1:9999/x', [offer()]), url, 1, DEFAULT_SCHEMES);
  assert.throws(() => assertPayable(elsewhere), code('vendor-mismatch'));
  const plain = parseChallenge(
    challengeHeader('http://shop.example/a', [offer(3, 'http://shop.example')]),
    'http://shop.example/a',
    1,
    DEFAULT_SCHEMES,
  );
  assert.throws(() => assertPayable(plain), code('insecure-url'));
  const secure = parseChallenge(
    challengeHeader('https://shop.example/a', [offer(3, 'https://shop.example')]),
    'https://shop.example/a',
    1,
    DEFAULT_SCHEMES,
  );
  assertPayable(secure);
  for (const ok of [
    'https://a.example/',
    'http://127.0.0.1:4001/',
    'http://localhost/',
    'http://app.localhost:3000/',
    'http://[::1]:8080/',
  ])
    assert.equal(isPayableUrl(ok), true, ok);
  for (const bad of ['http://a.example/', 'http://127.0.0.1.evil.test/', 'ftp://127.0.0.1/', 'file:///etc/passwd', 'nonsense'])
    assert.equal(isPayableUrl(bad), false, bad);
  assert.equal(stripFragment('http://a.test/x?y#z'), 'http://a.test/x?y');
});

test('the challenge store keeps one challenge per tab, for its URL, while fresh', async () => {
  let now = 0;
  const area = memoryArea();
  const store = new ChallengeStore(area, () => now);
  await store.put(3, `${url}#top`, 'H');
  assert.equal((await store.get(3, url))?.header, 'H');
  assert.equal(await store.get(3, `${VENDOR}/other`), undefined);
  assert.equal(await store.get(4, url), undefined);
  // A restarted worker finds it in session storage.
  const again = new ChallengeStore(area, () => now);
  assert.equal((await again.get(3, url))?.header, 'H');
  now = CHALLENGE_TTL_MS + 1;
  assert.equal(await again.get(3, url), undefined);
  // Expired, the challenge is gone, but the worker still saw that response.
  assert.equal(await again.observed(3, url), true);
  await again.clear(3);
  assert.equal(area.data.size, 0);
});

test('the challenge store tells a response the worker saw from one it missed', async () => {
  const store = new ChallengeStore(memoryArea());
  assert.equal(await store.observed(3, url), false, 'nothing seen in tab 3: missed');
  await store.saw(3, `${VENDOR}/free`);
  assert.equal(await store.observed(3, url), false, 'the tab showed another URL since');
  assert.equal(await store.observed(3, `${VENDOR}/free#x`), true);
  await store.put(3, url, 'H');
  await store.forget(3);
  assert.equal(await store.get(3, url), undefined, 'consumed');
  assert.equal(await store.observed(3, url), true, 'consumed, but seen: never fetched again');
});
