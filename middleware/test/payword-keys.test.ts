/**
 * The vendor's payword key at the broker: registered at start-up with the API key, retried while
 * the broker cannot take it (logged once, free pages untouched), and payword offered only once the
 * broker has the key and the vendor has the broker's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64, readPaywordRequirements } from '@micromint/shared';
import { KEY_NAMES } from '../src/index.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { challengeOf, freePort } from './harness.ts';
import { mintEpoch, type Mint } from './mint.ts';
import { startRegisteredVendor, startVendor } from './vendor.ts';

let mint: Mint;
let broker: TestBroker;
before(async () => {
  mint = mintEpoch({ balls: 2000 });
  broker = await startBroker({ epochs: [mint.epoch] });
});
after(() => broker.close());

const schemesOf = async (url: string): Promise<string[]> => {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 402);
  return challengeOf(res).accepts.map((a) => a.scheme);
};

describe('registering the payword key', () => {
  it('is done at start-up with the API key; the key offered is the one the broker has, kept in the store', async () => {
    const calls = broker.payword.keyCalls;
    const v = await startRegisteredVendor(broker, { epoch: mint.epoch });
    try {
      const offer = challengeOf(await fetch(`${v.url}/api/quote`, { headers: { accept: 'application/json' } })).accepts[1]!;
      const key = readPaywordRequirements(offer).vendorKey;
      assert.equal(broker.payword.vendorKeys.get(v.url), key);
      assert.equal(JSON.parse((await v.mm.store.loadKey!(KEY_NAMES.vendorKey))!).publicKey, key);
      assert.equal(fromBase64(key).length, 32);
      assert.equal(broker.payword.keyCalls, calls + 1, 'once per process, not per challenge');
      await schemesOf(`${v.url}/articles/paid.html`);
      assert.equal(broker.payword.keyCalls, calls + 1);
    } finally {
      await v.close();
    }
  });

  it('while the broker cannot take it, coins alone are offered and free pages work; logged once; offered as soon as it can', async () => {
    broker.payword.enabled = false;
    const v = await startRegisteredVendor(broker, { epoch: mint.epoch, epochRefreshSeconds: 0 });
    try {
      assert.equal((await fetch(`${v.url}/free.html`)).status, 200);
      assert.deepEqual(await schemesOf(`${v.url}/api/quote`), ['micromint']);
      assert.deepEqual(await schemesOf(`${v.url}/articles/cheap.html`), ['micromint']);
      const notOffered = v.logger.warnings.filter((w) => w.includes('payword is not offered yet'));
      assert.equal(notOffered.length, 1, v.logger.warnings.join('\n'));
      assert.match(notOffered[0]!, /answered 404/);
      broker.payword.enabled = true;
      assert.deepEqual(await schemesOf(`${v.url}/api/quote`), ['micromint', 'payword']);
      assert.ok(v.logger.warnings.some((w) => w.includes("has this vendor's key")));
    } finally {
      broker.payword.enabled = true;
      await v.close();
    }
  });

  it('a wrong API key is logged with a hint, and payword is not offered', async () => {
    const v = await startVendor({ broker: broker.url, apiKey: 'mmk_wrong', epoch: mint.epoch, schemes: ['micromint', 'payword'] });
    try {
      assert.deepEqual(await schemesOf(`${v.url}/api/quote`), ['micromint']);
      assert.ok(
        v.logger.warnings.some((w) => /answered 401 .*check apiKey/.test(w)),
        v.logger.warnings.join('\n'),
      );
    } finally {
      await v.close();
    }
  });

  it('a vendor taking payword alone answers 503 broker_unavailable until the broker has its key; free pages work', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const v = await startVendor({ broker: down, apiKey: 'mmk_x', epoch: mint.epoch, schemes: ['payword'] });
    try {
      assert.equal((await fetch(`${v.url}/free.html`)).status, 200);
      const res = await fetch(`${v.url}/api/quote`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '30');
      assert.equal(((await res.json()) as { error: string }).error, 'broker_unavailable');
    } finally {
      await v.close();
    }
  });
});
