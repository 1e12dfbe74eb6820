import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PARAMETER_SETS, type EpochParams } from '@micromint/shared';
import { DEFAULTS, micromint, MemoryVendorStore, RedeemError, type MicroMintOptions } from '../src/index.ts';
import { quietLogger, tempDir } from './harness.ts';

const tmp = tempDir();
after(() => tmp.cleanup());

const base = (): MicroMintOptions => ({
  vendorId: 'http://127.0.0.1:4001',
  broker: 'http://127.0.0.1:4000',
  store: new MemoryVendorStore(),
  secret: 'x'.repeat(32),
  logger: quietLogger(),
});

const epoch: EpochParams = {
  id: 'e1',
  key: new Uint8Array(32),
  ...PARAMETER_SETS.test,
  fixed: 0,
  expiresAt: '2099-01-01T00:00:00Z',
};

/** A store written before payword: every VendorStore method, none of the chain ones. */
function coinsOnlyStore(): MemoryVendorStore {
  const s = new MemoryVendorStore();
  for (const m of [
    'paywordChain',
    'recordPaywordPayment',
    'findPaywordReplay',
    'unrecordPaywordPayment',
    'unclearedChains',
    'loadKey',
    'saveKey',
  ])
    Object.defineProperty(s, m, { value: undefined });
  return s;
}

describe('micromint() options', () => {
  it('defaults to coins only, at 1 mill a link', () => {
    assert.deepEqual([DEFAULTS.schemes, DEFAULTS.linkValue], [['micromint'], 1]);
  });

  it('takes payword with an API key and a store that keeps chains', async () => {
    const mm = micromint({ ...base(), schemes: ['payword', 'micromint'], apiKey: 'mmk_x', linkValue: 5 });
    await mm.close();
    // The same store without payword is fine when payword is not asked for.
    await micromint({ ...base(), store: coinsOnlyStore() }).close();
  });

  it('returns a request handler carrying store, redeem and close', async () => {
    const mm = micromint(base());
    assert.equal(typeof mm, 'function');
    assert.equal(mm.length, 3);
    assert.ok(mm.store instanceof MemoryVendorStore);
    assert.equal(typeof mm.redeem, 'function');
    await mm.close();
  });

  const bad: [string, Partial<MicroMintOptions> & Record<string, unknown>, ErrorConstructor][] = [
    ['vendorId missing', { vendorId: undefined }, TypeError],
    ['vendorId with a path', { vendorId: 'http://127.0.0.1:4001/shop' }, RangeError],
    ['vendorId with a trailing slash', { vendorId: 'http://127.0.0.1:4001/' }, RangeError],
    ['vendorId not http', { vendorId: 'ftp://example.com' }, RangeError],
    ['vendorId not a URL', { vendorId: 'shop' }, RangeError],
    ['broker missing', { broker: undefined }, TypeError],
    ['broker not a URL', { broker: 'localhost:4000' }, RangeError],
    ['broker with a query', { broker: 'http://127.0.0.1:4000/?x=1' }, RangeError],
    ['apiKey not a string', { apiKey: 42 as unknown as string }, TypeError],
    ['epoch invalid', { epoch: { ...epoch, k: 1 } }, RangeError],
    ['root missing directory', { root: join(tmp.dir, 'nope') }, RangeError],
    ['prices key without slash', { prices: { 'api/quote': 1 } }, RangeError],
    ['prices zero', { prices: { '/a': 0 } }, RangeError],
    ['prices fraction', { prices: { '/a': 1.5 } }, TypeError],
    ['prices too high', { prices: { '/a': 1001 } }, RangeError],
    ['prices wrong type', { prices: 'free' as unknown as Record<string, number> }, TypeError],
    ['store without methods', { store: {} as MemoryVendorStore }, TypeError],
    ['store and dbPath', { dbPath: join(tmp.dir, 'x.db') }, RangeError],
    ['accessWindowSeconds negative', { accessWindowSeconds: -1 }, RangeError],
    ['secret too short', { secret: 'short' }, RangeError],
    ['secret wrong type', { secret: 42 as unknown as string }, TypeError],
    ['paywall not a function', { paywall: '<h1>pay</h1>' as unknown as () => string }, TypeError],
    ['maxTimeoutSeconds zero', { maxTimeoutSeconds: 0 }, RangeError],
    ['description wrong type', { description: 5 as unknown as string }, TypeError],
    ['unknown option (typo)', { acessWindowSeconds: 5 }, RangeError],
    ['epochRefreshSeconds fraction', { epochRefreshSeconds: 0.5 }, TypeError],
    ['replayWindowSeconds under a minute', { replayWindowSeconds: 59 }, RangeError],
    ['replayWindowSeconds over a week', { replayWindowSeconds: 7 * 86_400 + 1 }, RangeError],
    ['replayWindowSeconds a fraction', { replayWindowSeconds: 90.5 }, TypeError],
    ['now not a function', { now: 5 as unknown as () => number }, TypeError],
    ['schemes not an array', { schemes: 'payword' as unknown as ['payword'] }, TypeError],
    ['schemes empty', { schemes: [] }, RangeError],
    ['schemes unknown', { schemes: ['exact' as 'payword'] }, RangeError],
    ['schemes twice', { schemes: ['micromint', 'micromint'] }, RangeError],
    ['payword without apiKey', { schemes: ['micromint', 'payword'] }, RangeError],
    ['payword with a store that keeps no chains', { schemes: ['payword'], apiKey: 'mmk_x', store: coinsOnlyStore() }, TypeError],
    ['linkValue zero', { linkValue: 0 }, RangeError],
    ['linkValue a fraction', { linkValue: 1.5 }, TypeError],
    ['linkValue above 1,000,000 mills', { linkValue: 1_000_001 }, RangeError],
  ];
  for (const [what, patch, type] of bad) {
    it(`throws at construction: ${what}`, () => {
      assert.throws(() => micromint({ ...base(), ...patch } as MicroMintOptions), type);
    });
  }

  it('throws when options are not an object', () => {
    assert.throws(() => micromint(undefined as unknown as MicroMintOptions), TypeError);
  });

  it('warns once when no secret is given and the access window is on', async () => {
    const logger = quietLogger();
    const { secret: _s, ...rest } = base();
    const mm = micromint({ ...rest, logger });
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /secret/);
    await mm.close();
    const quiet = quietLogger();
    await micromint({ ...rest, logger: quiet, accessWindowSeconds: 0 }).close();
    assert.equal(quiet.warnings.length, 0);
  });

  it('creates the default SQLite store at dbPath and closes it', async () => {
    const { store: _s, ...rest } = base();
    const dbPath = join(tmp.dir, 'sub', 'vendor.db');
    const mm = micromint({ ...rest, dbPath });
    assert.ok(existsSync(dbPath));
    assert.equal((await mm.store.stats()).payments, 0);
    await mm.close();
    await assert.rejects(mm.store.stats());
  });

  it('redeem() without apiKey is a clear error', async () => {
    const mm = micromint(base());
    await assert.rejects(mm.redeem(), (e: Error) => e instanceof RedeemError && /apiKey/.test(e.message));
  });
});
