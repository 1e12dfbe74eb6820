/**
 * `micromint-broker copy-to-postgres`, through the real command line: a broker on a SQLite file gets real
 * activity (users, funds, sales, redemptions with a double spend and a refused coin, a complaint, a PayWord
 * chain and its clearing, an API token and its purchase, a vendor dashboard session), is stopped and copied;
 * a broker started on the PostgreSQL schema then shows the same balances, ledgers, vendor summaries and
 * chains, logs the same sessions in, refuses the coins spent before and credits new ones, and gives new rows
 * fresh ids. A target that is not empty, a file with coins PostgreSQL has no place for, and a file being
 * written are refused, changing nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { newAgreementKey, newSigningKey, toBase64, type FundsWithdrawn } from '@micromint/shared';
import {
  Browser,
  TestClock,
  chainRequestBody,
  clearEntry,
  coinsFor,
  decodeFundsWithdrawn,
  entry,
  makeChain,
  postJson,
  seconds,
  startBroker,
  type TestBroker,
} from './helpers.ts';
import { copySqliteToPostgres } from '../src/db/pg/copy.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const A = 'http://127.0.0.1:4811';
const B = 'http://127.0.0.1:4812';
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
/** A `paidAt` that is not `toISOString()`'s form: kept as text (paid_text on PostgreSQL). */
const OFFSET_PAID_AT = '2026-12-01T11:00:00+01:00';

/** Runs `micromint-broker` with `args`; its exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=@micromint/source', '--import', 'tsx', BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('copy-to-postgres', () => {
  const schemas = new PgSchemas();
  const clock = new TestClock();
  const dir = mkdtempSync(join(tmpdir(), 'mm-copy-'));
  const dbPath = join(dir, 'broker.db');
  const schema = schemas.fresh();
  let lite: TestBroker | undefined;
  let stopped = false;
  let pg: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let bobId: string;
  let fw: FundsWithdrawn;
  let coinsA: Uint8Array[];
  const keys: Record<string, string> = {};
  let dashboard: { browser: Browser; path: string };
  let before_: Awaited<ReturnType<typeof snapshot>>;
  let copied: { stdout: string; stderr: string };

  const auth = (v: string) => ({ authorization: `Bearer ${keys[v]}` });
  const redeem = (tb: TestBroker, v: string, body: unknown) => postJson(`${tb.base}/api/redeem`, body, auth(v));
  const vendorMe = async (tb: TestBroker, v: string) => (await fetch(`${tb.base}/api/vendors/me`, { headers: auth(v) })).json();
  const pgCount = async (table: string) =>
    (await schemas.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`))[0]!.n;
  const liteTables = (db: Database.Database) =>
    (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[]).filter(
      (t) => t !== 'redeemed_unplaced',
    );

  /** What both brokers must show alike. */
  async function snapshot(tb: TestBroker) {
    const s = tb.broker.store;
    const user = async (id: string) => ({
      balance: await s.accounts.balance('user', id),
      history: await s.accounts.history('user', id, 1000),
      withdrawals: await s.sets.withdrawalsOfUser(id),
    });
    return {
      alice: await user(aliceId),
      bob: await user(bobId),
      vendors: { A: await vendorMe(tb, A), B: await vendorMe(tb, B) },
      vendorLedgers: [await s.accounts.history('vendor', A, 1000), await s.accounts.history('vendor', B, 1000)],
      chains: await s.chains.ofUser(aliceId),
      clearings: await s.chains.recentClearings(A),
      tokens: await s.tokens.ofUser(aliceId),
      walletKeys: await s.paywordKeys.walletKeys(aliceId),
      epoch: (await s.epochs.current(clock.now()))?.params.id,
    };
  }

  before(async () => {
    lite = await startBroker({ dbPath, now: clock.now });
    alice = new Browser(lite.base);
    aliceId = await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('5')).status, 303);
    fw = decodeFundsWithdrawn((await alice.buy(2)).text);
    const bob = new Browser(lite.base);
    bobId = await bob.signUp('Bob@Example.com');
    assert.equal((await bob.addFunds('3')).status, 303);
    const coinsB = coinsFor(decodeFundsWithdrawn((await bob.buy(1)).text), B);
    for (const [origin, name] of [
      [A, 'Shop A'],
      [B, 'Shop B'],
    ] as const)
      keys[origin] = (await postJson(`${lite.base}/api/vendors`, { origin, name })).json.apiKey;

    // Coins: five credited at A (one paid at a time kept as text), one spent again and one of B's refused; one at B.
    coinsA = coinsFor(fw, A);
    const paid = coinsA.slice(0, 5).map((c, i) => entry(fw, c, A, i === 1 ? { paidAt: OFFSET_PAID_AT } : {}));
    assert.equal((await redeem(lite, A, { batchId: 'a1', coins: paid })).json.credited, 5);
    const again = await redeem(lite, A, { batchId: 'a2', coins: [entry(fw, coinsA[0]!, A), entry(fw, coinsB[0]!, A, { userId: bobId })] });
    assert.deepEqual(
      again.json.results.map((r: { status: string }) => r.status),
      ['refused', 'refused'],
    );
    assert.equal(again.json.results[0].reason, 'already-spent');
    const atB = await redeem(lite, B, { batchId: 'b1', coins: [entry(fw, coinsB[1]!, B, { userId: bobId })] });
    assert.equal(atB.json.credited, 1, JSON.stringify(atB.json));
    const complaint = await alice.post(
      '/account/complaints',
      { vendorId: A, text: 'Paid, got nothing' },
      { csrf: await alice.csrf('/account') },
    );
    assert.equal(complaint.res.status, 303);

    // PayWord: a vendor key, a wallet, a chain held and cleared to link 5.
    const vendorKey = newAgreementKey().publicKey;
    const put = await fetch(`${lite.base}/api/vendors/payword-key`, {
      method: 'PUT',
      headers: { ...auth(A), 'content-type': 'application/json' },
      body: JSON.stringify({ key: toBase64(vendorKey) }),
    });
    assert.equal(put.status, 200);
    const wallet = newSigningKey();
    assert.equal((await alice.connectWallet(toBase64(wallet.publicKey))).res.status, 303);
    const chain = makeChain({
      broker: lite.base,
      userId: aliceId,
      vendorId: A,
      vendorKey,
      length: 20,
      value: 2,
      expiresAt: seconds(clock.now()) + 600,
    });
    assert.equal((await postJson(`${lite.base}/api/payword/chains`, chainRequestBody(chain, wallet))).status, 201);
    assert.equal((await redeem(lite, A, { batchId: 'c1', chains: [clearEntry(chain, 5)] })).status, 200);

    // An API token and a purchase with it; a vendor dashboard session.
    const made = await alice.post('/account/tokens', { name: 'script', limit: '' }, { csrf: await alice.csrf('/account') });
    const token = /<code id="new-token"[^>]*>(mmt_[A-Za-z0-9_-]{43})<\/code>/.exec(made.text)![1]!;
    const bought = await postJson(`${lite.base}/api/sets`, { count: 1, requestId: 'job-1' }, { authorization: `Bearer ${token}` });
    assert.equal(bought.status, 201);
    const vendor = new Browser(lite.base);
    const signIn = await vendor.post('/vendors/dashboard', { apiKey: keys[A]! }, { csrf: await vendor.csrf('/vendors/dashboard') });
    assert.equal(signIn.res.status, 303);
    dashboard = { browser: vendor, path: signIn.res.headers.get('location')! };

    before_ = await snapshot(lite);
    await lite.stop();
    stopped = true;
    const r = await cli(['copy-to-postgres', '--db', dbPath, '--postgres', 'env', '--postgres-schema', schema], {
      MICROMINT_BROKER_POSTGRES_URL: pgUrl(),
    });
    assert.equal(r.code, 0, r.stderr);
    copied = r;
  });

  after(async () => {
    if (!stopped) await lite?.stop();
    await pg?.stop();
    await schemas.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every table is copied: the same rows, seq in rowid order, paid_at in its two shapes; a summary and a line per table', async () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      const tables = liteTables(db);
      let rows = 0;
      for (const t of tables) {
        const n = db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number;
        rows += n;
        assert.equal(await pgCount(t), n, t);
        assert.match(copied.stderr, new RegExp(`^copied ${t}: ${n.toLocaleString('en-US')} row\\(s\\) in `, 'm'));
      }
      assert.ok((await pgCount('payword_clearings')) > 0 && (await pgCount('double_spends')) > 0 && (await pgCount('api_purchases')) > 0);
      assert.match(copied.stdout, new RegExp(`^Copied ${tables.length} tables, ${rows.toLocaleString('en-US')} rows, from SQLite `, 'm'));
      assert.match(copied.stdout, /ledger's sum for each of its 4 owner\(s\), are the same/);
      for (const [t, key] of [
        ['api_tokens', 'id'],
        ['payword_chains', 'id'],
        ['vendor_sessions', 'token_hash'],
        ['epochs', 'id'],
        ['withdrawals', 'id'],
      ] as const) {
        const want = db.prepare(`SELECT ${key} AS k, rowid AS seq FROM ${t} ORDER BY rowid`).all() as { k: unknown; seq: number }[];
        assert.deepEqual(await schemas.query(`SELECT ${key} AS k, seq::int FROM "${schema}".${t} ORDER BY seq`), want, t);
      }
      const batches = db.prepare('SELECT rowid AS id, batch_id FROM redemption_batches ORDER BY rowid').all();
      assert.deepEqual(await schemas.query(`SELECT id::int, batch_id FROM "${schema}".redemption_batches ORDER BY id`), batches);
      const shapes = await schemas.query<{ ms: number; text: string[] }>(
        `SELECT count(paid_ms)::int AS ms, array_agg(paid_text) FILTER (WHERE paid_text IS NOT NULL) AS text FROM "${schema}".redeemed`,
      );
      assert.deepEqual(shapes, [{ ms: 5, text: [OFFSET_PAID_AT] }]);
    } finally {
      db.close();
    }
  });

  test('copied in batches of 2 rows (before any broker ran on the first copy), the tables hold the same rows', async () => {
    const small = schemas.fresh();
    const tables: string[] = [];
    const s = await copySqliteToPostgres({
      dbPath,
      postgres: { connectionString: pgUrl(), schema: small },
      batchRows: 2,
      onTable: (t) => tables.push(t.table),
    });
    assert.ok(tables.indexOf('users') < tables.indexOf('ledger') && tables.indexOf('redeemed_batches') < tables.indexOf('redeemed'));
    assert.ok(s.rows > 100, `${s.rows} rows`);
    const dump = (schema: string, t: string) => schemas.query(`SELECT * FROM "${schema}".${t} ORDER BY 1, 2`);
    for (const t of ['ledger', 'mint_flags', 'redeemed', 'api_tokens', 'payword_chains'])
      assert.deepEqual(await dump(small, t), await dump(schema, t), t);
  });

  test('a target that is not empty is refused and changes nothing', async () => {
    const ledger = await pgCount('ledger');
    const r = await cli(['copy-to-postgres', '--db', dbPath, '--postgres', pgUrl(), '--postgres-schema', schema]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: the PostgreSQL schema ${schema} is not empty \\(rows in [a-z_, ]*\\busers\\b`, 'm'));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(await pgCount('ledger'), ledger);
    assert.equal(await pgCount('users'), 2);
  });

  test('a broker on the PostgreSQL schema shows the same accounts, vendors and chains; sessions still log in', async () => {
    pg = await startBroker({ store: { postgres: { connectionString: pgUrl(), schema } }, mint: false, now: clock.now });
    assert.deepEqual(await snapshot(pg), before_);
    const { A: a, B: b } = before_.vendors;
    assert.deepEqual(
      [a.redeemedCoins, a.doubleSpends, a.clearedLinks, b.redeemedCoins],
      [5, 1, 5, 1],
      'the summaries compared hold the activity',
    );
    assert.equal(before_.alice.withdrawals.length, 2, 'a purchase on the page and one with the token');
    const again = new Browser(pg.base);
    again.cookies = new Map(alice.cookies);
    const account = await again.get('/account');
    assert.equal(account.res.status, 200);
    assert.ok(account.text.includes(`id="user-id">${aliceId}<`), 'the cookie from before logs alice in');
    const vendor = new Browser(pg.base);
    vendor.cookies = new Map(dashboard.browser.cookies);
    const dash = await vendor.get(dashboard.path);
    assert.equal(dash.res.status, 200);
    assert.ok(dash.text.includes('Shop A'), 'the dashboard session from before signs the vendor in');
  });

  test('on PostgreSQL a coin spent before is refused, a new one credited, and new rows get fresh ids', async () => {
    pg ??= await startBroker({ store: { postgres: { connectionString: pgUrl(), schema } }, mint: false, now: clock.now });
    const maxLedger = (await schemas.query<{ m: number }>(`SELECT max(id)::int AS m FROM "${schema}".ledger`))[0]!.m;
    const maxBatch = (await schemas.query<{ m: number }>(`SELECT max(id)::int AS m FROM "${schema}".redemption_batches`))[0]!.m;
    const spent = await redeem(pg, A, { batchId: 'pg-1', coins: [entry(fw, coinsA[0]!, A)] });
    assert.equal(spent.status, 200);
    assert.equal(spent.json.results[0].reason, 'already-spent');
    const fresh = await redeem(pg, A, { batchId: 'pg-2', coins: [entry(fw, coinsA[5]!, A)] });
    assert.equal(fresh.json.credited, 1);
    assert.equal(await pg.broker.store.accounts.balance('vendor', A), before_.vendors.A.balanceMills + 1);
    const batchIds = await schemas.query<{ id: number; batch_id: string }>(
      `SELECT id::int, batch_id FROM "${schema}".redemption_batches WHERE id > $1 ORDER BY id`,
      [maxBatch],
    );
    assert.deepEqual(
      batchIds.map((b) => b.batch_id),
      ['pg-1', 'pg-2'],
    );
    const carol = new Browser(pg.base);
    const carolId = await carol.signUp('carol@example.com');
    assert.equal((await carol.addFunds('2')).status, 303);
    const [line] = await pg.broker.store.accounts.history('user', carolId);
    assert.ok(line!.id > maxLedger, `a fresh ledger id: ${line!.id} > ${maxLedger}`);
    assert.equal(
      (await pg.broker.store.accounts.history('user', aliceId, 1000)).length,
      before_.alice.history.length,
      "alice's history is as it was",
    );
  });

  test('a file with coins in redeemed_unplaced is refused, before anything is written', async () => {
    const db = new Database(dbPath);
    const other = schemas.fresh();
    try {
      db.exec(`INSERT INTO redeemed_unplaced (epoch, coin_id, user_id, batch, page, paid_at)
               SELECT '${fw.epoch.id}', 'ffff', '${aliceId}', (SELECT min(id) FROM redeemed_batches), (SELECT min(id) FROM redeemed_pages), 'x'`);
      const r = await cli(['copy-to-postgres', '--db', dbPath, '--postgres', pgUrl(), '--postgres-schema', other]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: the SQLite file has 1 coin\(s\) in redeemed_unplaced .* nothing was copied$/m);
      assert.deepEqual(await schemas.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [other]), []);
    } finally {
      db.exec('DELETE FROM redeemed_unplaced');
      db.close();
    }
  });

  test('a file being written (its write lock held) is refused, saying to stop the broker', async () => {
    const db = new Database(dbPath);
    const other = schemas.fresh();
    db.exec('BEGIN IMMEDIATE');
    try {
      const r = await cli(['copy-to-postgres', '--db', dbPath, '--postgres', pgUrl(), '--postgres-schema', other]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: .*broker\.db is being written \(a broker is running on it\): stop the broker, then copy$/m);
      assert.deepEqual(await schemas.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [other]), []);
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
    const missing = await cli(['copy-to-postgres', '--db', join(dir, 'none.db'), '--postgres', pgUrl()]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: --db .*none\.db: no such file/m);
    const usage = await cli(['copy-to-postgres', '--db', dbPath]);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /copy-to-postgres needs --db <file> .* and --postgres <url\|env>/);
  });
});
