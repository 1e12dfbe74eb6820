/**
 * One site as two vendor processes on one PostgreSQL database, behind a real nginx (round robin):
 * the same coin, or the same PayWord link, sent through both instances at the same moment is
 * accepted once; the same payment through both is served twice and paid once; and killing one
 * instance in the middle of the traffic loses nothing: every payment that was answered is recorded,
 * every other one succeeds when the wallet sends it again, and each is redeemed once.
 *
 * Needs PostgreSQL (MICROMINT_PG_URL, from `bash scripts/pg.sh`) and nginx: skipped without them,
 * except in CI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PAYWORD_SCHEME } from '@micromint/shared';
import { redeemPending, type PostgresVendorStore } from '../src/index.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { ChainWallet, offerOf } from './chains.ts';
import { challengeOf, freePort, paymentHeader, receiptOf } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startNginx, type Nginx } from './nginx.ts';
import { PgSchemas, pgUrl } from './postgres.ts';
import { spawnVendor, type VendorProcess } from './vendor-process.ts';

const ALICE = userId(0xa11ce);
const PRICE = 2;

let mint: Mint;
let broker: TestBroker;
let nginx: Nginx;
let site: string;
let apiKey: string;
let store: PostgresVendorStore;
const instances: VendorProcess[] = [];
const schemas = new PgSchemas();

/** An answer: its status, the instance that answered, the receipt's payment id if paid, else the error. */
interface Answer {
  status: number;
  instance: string;
  paymentId?: string;
  error?: string;
}

/** One paid GET through nginx. */
async function get(path: string, header: string): Promise<Answer> {
  const res = await fetch(site + path, { headers: { 'payment-signature': header, accept: 'application/json' } });
  const instance = res.headers.get('x-instance') ?? '';
  if (res.status === 200) {
    await res.body?.cancel();
    return { status: 200, instance, paymentId: receiptOf(res).transaction };
  }
  const error = res.status === 402 ? challengeOf(res).error : undefined;
  await res.body?.cancel();
  return { status: res.status, instance, ...(error ? { error } : {}) };
}

/** A payment header of fresh coins (or `coins`) for `path` at the site. */
const pay = (path: string, coins = new Wallet(mint, ALICE, site).take(PRICE)) =>
  paymentHeader({ url: site + path, vendorId: site, broker: broker.url, epoch: mint.epoch, userId: ALICE, coins });

describe('two vendor instances on one Postgres behind nginx', () => {
  before(async () => {
    mint = mintEpoch({ balls: 6000 });
    broker = await startBroker({ epochs: [mint.epoch] });
    const port = await freePort();
    site = `http://127.0.0.1:${port}`;
    apiKey = broker.register(site);
    const schema = schemas.fresh();
    store = schemas.store(schema);
    await store.ready();
    const config = { vendorId: site, broker: broker.url, apiKey, postgres: pgUrl(), schema };
    const ports = [await freePort(), await freePort()];
    instances.push(...(await Promise.all(['a', 'b'].map((instance, i) => spawnVendor({ ...config, instance, port: ports[i]! })))));
    nginx = await startNginx(
      port,
      ports.map((p) => `127.0.0.1:${p}`),
    );
    // Each instance registers the site's payword key at the broker as it starts: wait until both offer chains.
    const offering = new Set<string>();
    while (offering.size < 2) {
      const res = await fetch(`${site}/paid/x`, { headers: { accept: 'application/json' } });
      if (challengeOf(res).accepts.some((a) => a.scheme === PAYWORD_SCHEME)) offering.add(res.headers.get('x-instance')!);
      await res.body?.cancel();
    }
  });
  after(async () => {
    await nginx?.close();
    await Promise.all(instances.map((v) => v.stop()));
    await store?.close();
    await broker?.close();
    await schemas.dropAll();
  });

  it('nginx spreads requests over both instances', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${site}/free`);
      seen.add(((await res.json()) as { instance: string }).instance);
    }
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  it('the same coins for two pages through both instances at the same moment: one 200, one already-spent, logged', async () => {
    const before = await store.stats();
    for (let round = 0; round < 6; round++) {
      const coins = new Wallet(mint, ALICE, site).take(PRICE);
      const answers = await Promise.all([get('/paid/one', pay('/paid/one', coins)), get('/paid/two', pay('/paid/two', coins))]);
      assert.deepEqual(answers.map((a) => a.instance).sort(), ['a', 'b'], 'one request reached each instance');
      assert.deepEqual(
        answers.map((a) => `${a.status} ${a.error ?? ''}`).sort(),
        ['200 ', '402 already-spent'],
        `round ${round}: ${JSON.stringify(answers)}`,
      );
    }
    const after = await store.stats();
    assert.deepEqual([after.payments - before.payments, after.coins - before.coins, after.refusals - before.refusals], [6, 6 * PRICE, 6]);
  });

  it('the same payment through both at the same moment: both served, paid once', async () => {
    const before = await store.stats();
    const header = pay('/paid/same');
    const answers = await Promise.all([get('/paid/same', header), get('/paid/same', header)]);
    assert.deepEqual(answers.map((a) => [a.status, a.instance]).sort(), [
      [200, 'a'],
      [200, 'b'],
    ]);
    assert.equal(answers[0]!.paymentId, answers[1]!.paymentId, 'the second is a replay of the first');
    const after = await store.stats();
    assert.deepEqual([after.payments - before.payments, after.coins - before.coins], [1, PRICE]);
  });

  it('the same PayWord link for two pages through both at the same moment: one 200, one already-spent', async () => {
    const chain = await new ChainWallet(broker, ALICE).open(await offerOf(`${site}/paid/chain`));
    // The chain's first payment, through one instance; the other knows it from the shared store.
    assert.equal((await get('/paid/chain', chain.pay(`${site}/paid/chain`, { units: PRICE }).header)).status, 200);
    for (let round = 0; round < 4; round++) {
      const one = chain.pay(`${site}/paid/one`, { units: PRICE });
      const two = chain.pay(`${site}/paid/two`, { units: PRICE, index: one.index, keepIndex: true });
      const answers = await Promise.all([get('/paid/one', one.header), get('/paid/two', two.header)]);
      assert.deepEqual(answers.map((a) => a.instance).sort(), ['a', 'b']);
      assert.deepEqual(
        answers.map((a) => `${a.status} ${a.error ?? ''}`).sort(),
        ['200 ', '402 already-spent'],
        `round ${round}: ${JSON.stringify(answers)}`,
      );
    }
    assert.equal((await store.paywordChain(chain.chainId))?.highestIndex, 5 * PRICE);
  });

  it('killing an instance in the middle of the traffic loses nothing, and every payment is redeemed once', async () => {
    const before = await store.stats();
    const headers = Array.from({ length: 24 }, (_, i) => ({ path: `/paid/k${i}`, header: pay(`/paid/k${i}`) }));
    // All at once; instance a is SIGKILLed when the fourth answer arrives, the rest still in flight.
    let answered = 0;
    let killed: Promise<void> | undefined;
    const outcomes = await Promise.all(
      headers.map(({ path, header }) =>
        get(path, header)
          .catch((e: Error): Answer => ({ status: 0, instance: '', error: e.message }))
          .finally(() => {
            if (++answered === 4) killed = instances[0]!.kill();
          }),
      ),
    );
    await killed;

    // Every answered payment is in the store, recorded before it was served.
    for (const o of outcomes.filter((x) => x.status === 200)) assert.ok(await store.payment(o.paymentId!), o.paymentId);
    // The wallet sends every other payment again, as it does without an answer: it succeeds now.
    const ids = new Set<string>();
    for (const [i, o] of outcomes.entries()) {
      const final = o.status === 200 ? o : await get(headers[i]!.path, headers[i]!.header);
      assert.equal(final.status, 200, `${headers[i]!.path}: ${JSON.stringify(o)} then ${JSON.stringify(final)}`);
      ids.add(final.paymentId!);
    }
    assert.equal(ids.size, headers.length, 'one payment each');
    const after = await store.stats();
    assert.deepEqual([after.payments - before.payments, after.coins - before.coins], [headers.length, headers.length * PRICE]);
    // The survivor keeps serving.
    assert.equal((await get('/paid/after', pay('/paid/after'))).instance, 'b');

    // Redeemed once: the broker credits every coin recorded, and a second run has nothing to send.
    const pending = (await store.stats()).pending;
    const first = await redeemPending({ store, broker: broker.url, apiKey });
    assert.deepEqual([first.credited, first.refused], [pending, []]);
    const second = await redeemPending({ store, broker: broker.url, apiKey });
    assert.deepEqual([second.credited, second.batches.length], [0, 0]);
    const all = await store.stats();
    assert.deepEqual([all.pending, all.credited], [0, all.coins]);
    const spentHere = [...broker.spent.entries()].filter(([, vendor]) => vendor === site).length;
    assert.equal(spentHere, all.coins, 'the broker credited each coin once');
  });
});
