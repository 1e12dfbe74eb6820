/**
 * Two broker instances, each a process of its own started by `micromint-broker serve --postgres`, on one
 * PostgreSQL schema, behind a real nginx: a user signs up, pays and buys through whichever instance nginx
 * picks; the same coin redeemed through both instances at the same moment is credited once; and killing an
 * instance in the middle of redemptions loses nothing: every batch sent again (same batchId) through nginx is
 * answered, and every coin is credited exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FundsWithdrawn } from '@micromint/shared';
import { freePort } from '../../middleware/test/harness.ts';
import { startNginx, type Nginx } from '../../middleware/test/nginx.ts';
import { spawnBroker, type BrokerProcess } from './broker-process.ts';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, postJson } from './helpers.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const VENDOR = 'http://127.0.0.1:4311';

interface Answer {
  batchId: string;
  credited: number;
  results: { coinId: string; status: 'credited' | 'refused'; reason?: string }[];
}

describe('two broker instances on one PostgreSQL', () => {
  const schemas = new PgSchemas();
  const instances: BrokerProcess[] = [];
  let nginx: Nginx;
  let site: string;
  let fw: FundsWithdrawn;
  let apiKey: string;
  let coins: Uint8Array[];

  const auth = () => ({ authorization: `Bearer ${apiKey}` });
  const direct = (i: number) => `http://127.0.0.1:${instances[i]!.port}`;
  const balance = async (base: string): Promise<number> => {
    const res = await fetch(`${base}/api/vendors/me`, { headers: auth() });
    assert.equal(res.status, 200);
    return ((await res.json()) as { balanceMills: number }).balanceMills;
  };

  before(async () => {
    const schema = schemas.fresh();
    const [p0, p1, pn] = [await freePort(), await freePort(), await freePort()];
    site = `http://127.0.0.1:${pn}`;
    const common = ['--postgres', pgUrl(), '--postgres-schema', schema, '--public-url', site, '--redeems-per-minute', '100000'];
    // The first instance creates the schema and mints; the second finds both.
    instances.push(await spawnBroker(p0, [...common, '--mint', 'test']));
    instances.push(await spawnBroker(p1, common));
    nginx = await startNginx(pn, [`127.0.0.1:${p0}`, `127.0.0.1:${p1}`]);

    // Sign-up, funds and the purchase go through nginx, round robin: the session is in the database.
    const alice = new Browser(site);
    await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('5')).status, 303);
    fw = decodeFundsWithdrawn((await alice.buy(4)).text);
    const v = await postJson(`${site}/api/vendors`, { origin: VENDOR, name: 'The shared shop' });
    assert.equal(v.status, 201);
    apiKey = v.json.apiKey;
    coins = coinsFor(fw, VENDOR);
    assert.ok(coins.length >= 60, `enough coins for the test: ${coins.length}`);
  });

  after(async () => {
    await nginx?.close();
    for (const b of instances) await b.stop();
    await schemas.dropAll();
  });

  test('both instances answer for one broker, and see the same accounts', async () => {
    assert.equal(await balance(direct(0)), 0);
    assert.equal(await balance(direct(1)), 0);
    const epochs = await Promise.all(
      [0, 1].map(async (i) => (await (await fetch(`${direct(i)}/api/epochs/current`)).json()) as { epoch: { id: string } }),
    );
    assert.equal(epochs[0]!.epoch.id, fw.epoch.id);
    assert.equal(epochs[1]!.epoch.id, fw.epoch.id);
  });

  test('the same coin redeemed through both instances at the same moment is credited once', async () => {
    const sample = coins.slice(0, 10);
    const answers = await Promise.all(
      sample.map((coin, n) =>
        Promise.all(
          [0, 1].map(async (i) => {
            const r = await postJson(
              `${direct(i)}/api/redeem`,
              { batchId: `race-${n}-via-${i}`, coins: [entry(fw, coin, VENDOR)] },
              auth(),
            );
            assert.equal(r.status, 200, JSON.stringify(r.json));
            return r.json as Answer;
          }),
        ),
      ),
    );
    for (const [a, b] of answers) {
      const statuses = [a!.results[0]!, b!.results[0]!].map((r) => r.status).sort();
      assert.deepEqual(statuses, ['credited', 'refused'], 'one instance credits the coin, the other refuses it');
      const refused = [a!, b!].find((x) => x.results[0]!.status === 'refused')!;
      assert.equal(refused.results[0]!.reason, 'already-spent');
    }
    assert.equal(await balance(site), 10, 'ten coins, ten mills');
    const me = (await (await fetch(`${direct(1)}/api/vendors/me`, { headers: auth() })).json()) as { doubleSpends: number };
    assert.equal(me.doubleSpends, 10, 'each second attempt is recorded as a double spend');
  });

  test('killing an instance in the middle of redemptions loses nothing', async () => {
    const rest = coins.slice(10, 60);
    const batches = Array.from({ length: 25 }, (_, i) => ({
      batchId: `kill-${i}`,
      coins: rest.slice(i * 2, i * 2 + 2).map((c) => entry(fw, c, VENDOR)),
    }));
    /** Sends a batch through nginx until it is answered: the same batchId, so a batch committed before is replayed. */
    const send = async (body: (typeof batches)[number]): Promise<Answer> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await postJson(`${site}/api/redeem`, body, auth());
          if (r.status === 200) return r.json as Answer;
          assert.ok(r.status === 502 || r.status === 504, `unexpected ${r.status}: ${JSON.stringify(r.json)}`);
        } catch {
          // The connection broke with the instance: send it again.
        }
        assert.ok(attempt < 50, `batch ${body.batchId} never answered`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    let sent = 0;
    const killed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (sent < 6) return;
        clearInterval(timer);
        void instances[1]!.kill().then(resolve);
      }, 5);
    });
    const answers = await Promise.all(
      batches.map(async (b, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 15));
        sent++;
        return send(b);
      }),
    );
    await killed;
    assert.notEqual(instances[1]!.child.signalCode, null, 'the second instance was killed');
    const credited = answers.flatMap((a) => a.results).filter((r) => r.status === 'credited');
    assert.equal(credited.length, 50, 'every coin credited');
    assert.equal(new Set(credited.map((r) => r.coinId)).size, 50, 'each coin once');
    assert.equal(await balance(site), 60, 'and paid once: 10 + 50 mills');
    // Sending every batch again replays its answer and pays nothing more.
    const again = await Promise.all(batches.map(send));
    assert.deepEqual(again, answers);
    assert.equal(await balance(direct(0)), 60);
  });
});
