/**
 * The PostgreSQL repositories of accounts, API tokens, vendor sessions and PayWord keys (src/db/pg/) against
 * the SQLite ones (src/db/): the same calls on a real SQLite file and a real PostgreSQL schema give the same
 * results, value for value and type for type (Buffer or Uint8Array, undefined, numbers), and the values
 * expected; the constraints the core relies on refuse on both (an e-mail in another case, a token's spending
 * limit, a purchase's request id used twice, a key no wallet connected).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../src/db/pg/store.ts';
import { openStore, type SqliteStore, type Store } from '../src/db/store.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const U1 = 'u_00000000000000a1';
const U2 = 'u_00000000000000b2';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T01:00:00.000Z';
const T2 = '2026-01-01T02:00:00.000Z';
const at = (iso: string): Date => new Date(iso);
/** 32 bytes, all `b`. */
const bytes32 = (b: number): Uint8Array => new Uint8Array(32).fill(b);

/** What one scenario's calls gave, in order: the label of the call and its result. */
type Steps = [string, unknown][];

/** Records each call's result, asserting it against what is expected. */
class Recorder {
  readonly steps: Steps = [];
  constructor(private readonly kind: string) {}

  async is<T>(label: string, p: Promise<T>, expected: unknown): Promise<T> {
    const value = await p;
    assert.deepStrictEqual(value, expected, `${this.kind}: ${label}`);
    this.steps.push([label, value]);
    return value;
  }

  /** A call that must reject (a constraint, a bad argument). */
  async refuses(label: string, p: Promise<unknown>, error?: typeof Error): Promise<void> {
    await assert.rejects(p, error ?? Error, `${this.kind}: ${label}`);
    this.steps.push([label, 'refused']);
  }
}

/** The rows the repositories under test refer to but do not write: vendors, an epoch, withdrawals. */
function fixtureSql(hex: (h: string) => string): string[] {
  return [
    `INSERT INTO vendors (id, name, api_key_hash, created_at) VALUES ('v1', 'One', ${hex('11'.repeat(32))}, '${T0}')`,
    `INSERT INTO vendors (id, name, api_key_hash, created_at) VALUES ('v2', 'Two', ${hex('22'.repeat(32))}, '${T0}')`,
    `INSERT INTO epochs (id, key, t, u, v, k, fixed, expires_at, created_at, fill, hashes, balls_counted, filled_slots, mint_ms, workers)
     VALUES ('2026-01', ${hex('33'.repeat(32))}, 16, 8, 4, 4, 0, '2026-02-01T00:00:00.000Z', '${T0}', 0.5, 1, 1, 1, 1, 1)`,
    `INSERT INTO withdrawals (id, user_id, epoch, coins, price_mills, created_at) VALUES ('w1', '${U1}', '2026-01', 8, 800, '${T0}')`,
  ];
}

async function accountsScenario(store: Store, r: Recorder): Promise<void> {
  const a = store.accounts;
  const alice = { id: U1, email: 'alice@example.com', passwordHash: 'scrypt$alice', createdAt: T0 };
  const bob = { id: U2, email: 'bob@example.com', passwordHash: 'scrypt$bob', createdAt: T1 };
  await r.is(
    'insertUser',
    store.transaction(async () => {
      await a.insertUser(alice);
      await a.insertUser(bob);
    }),
    undefined,
  );
  await r.is('userById', a.userById(U1), alice);
  await r.is('userById missing', a.userById('u_00000000000000ff'), undefined);
  await r.is('userByEmail other case', a.userByEmail('ALICE@Example.COM'), alice);
  await r.is('userByEmail missing', a.userByEmail('carol@example.com'), undefined);
  await r.refuses(
    'insertUser e-mail taken in another case',
    store.transaction(() => a.insertUser({ ...alice, id: 'u_00000000000000c3', email: 'Alice@Example.com' })),
  );
  await r.is('countUsers', a.countUsers(), 2);
}

async function sessionsScenario(store: Store, r: Recorder): Promise<void> {
  const a = store.accounts;
  await store.transaction(async () => {
    await a.insertSession(bytes32(1), U1, 'csrf-1', T0, T1);
    await a.insertSession(bytes32(2), U1, 'csrf-2', T0, T2);
    await a.insertSession(bytes32(3), U2, 'csrf-3', T0, T0);
  });
  await r.is('session live', a.session(bytes32(1), at(T0)), { userId: U1, csrf: 'csrf-1', expiresAt: T1 });
  await r.is('session at its expiry', a.session(bytes32(1), at(T1)), undefined);
  await r.is('session expired', a.session(bytes32(3), at(T0)), undefined);
  await r.is('session unknown', a.session(bytes32(9), at(T0)), undefined);
  await r.is(
    'deleteSession',
    store.transaction(() => a.deleteSession(bytes32(2))),
    undefined,
  );
  await r.is('session deleted', a.session(bytes32(2), at(T0)), undefined);
  await r.is(
    'purgeSessions',
    store.transaction(() => a.purgeSessions(at(T1))),
    2,
  );
  await r.is(
    'purgeSessions again',
    store.transaction(() => a.purgeSessions(at(T2))),
    0,
  );
}

async function ledgerScenario(store: Store, r: Recorder): Promise<void> {
  const a = store.accounts;
  await store.transaction(async () => {
    await a.post('user', U1, 5000, 'deposit', null, 'card', T0);
    await a.post('user', U1, -1200, 'purchase', 'w1', 'coins', T1);
    await a.post('vendor', 'v1', 800, 'redemption', 'b1', 'batch b1', T1);
    await a.post('user', U1, 300, 'return-credit', 'w1', 'returned', T2);
  });
  await r.refuses(
    'post zero',
    store.transaction(() => a.post('user', U1, 0, 'deposit', null, '', T0)),
    RangeError,
  );
  await r.refuses(
    'post a fraction',
    store.transaction(() => a.post('user', U1, 1.5, 'deposit', null, '', T0)),
    RangeError,
  );
  await r.is('balance', a.balance('user', U1), 4100);
  await r.is('balance of a vendor', a.balance('vendor', 'v1'), 800);
  await r.is('balance of nobody', a.balance('user', U2), 0);
  const lines = [
    { id: 4, amountMills: 300, kind: 'return-credit', ref: 'w1', memo: 'returned', createdAt: T2 },
    { id: 2, amountMills: -1200, kind: 'purchase', ref: 'w1', memo: 'coins', createdAt: T1 },
    { id: 1, amountMills: 5000, kind: 'deposit', ref: null, memo: 'card', createdAt: T0 },
  ];
  await r.is('history', a.history('user', U1), lines);
  await r.is('history limited', a.history('user', U1, 2), lines.slice(0, 2));
  await r.is('history unlimited (negative limit)', a.history('user', U1, -1), lines);
  await r.is('history empty', a.history('user', U2), []);
}

async function paywordKeysScenario(store: Store, r: Recorder): Promise<void> {
  const k = store.paywordKeys;
  await r.is('brokerKey none', k.brokerKey(), undefined);
  await store.transaction(async () => {
    await k.insertBrokerKey(bytes32(0xa1), bytes32(0xa2), T0);
    await k.insertBrokerKey(bytes32(0xb1), bytes32(0xb2), T1);
  });
  await r.is('brokerKey the first', k.brokerKey(), { secretKey: bytes32(0xa1), publicKey: bytes32(0xa2) });
  await store.transaction(async () => {
    await k.insertWalletKey(U1, bytes32(0x90), T1);
    await k.insertWalletKey(U1, bytes32(0x05), T1);
    await k.insertWalletKey(U1, bytes32(0x40), T0);
    await k.insertWalletKey(U1, bytes32(0x90), T2);
  });
  await r.is('walletKeys by time, then bytes', k.walletKeys(U1), [
    { key: bytes32(0x40), createdAt: T0 },
    { key: bytes32(0x05), createdAt: T1 },
    { key: bytes32(0x90), createdAt: T1 },
  ]);
  await r.is('walletKeys none', k.walletKeys(U2), []);
  await r.is('hasWalletKey', k.hasWalletKey(U1, bytes32(0x05)), true);
  await r.is('hasWalletKey of another user', k.hasWalletKey(U2, bytes32(0x05)), false);
  await r.is('countWalletKeys', k.countWalletKeys(U1), 3);
  await r.is('countWalletKeys none', k.countWalletKeys(U2), 0);
  await r.is(
    'deleteWalletKey',
    store.transaction(() => k.deleteWalletKey(U1, bytes32(0x40))),
    true,
  );
  await r.is(
    'deleteWalletKey again',
    store.transaction(() => k.deleteWalletKey(U1, bytes32(0x40))),
    false,
  );
  await r.is('vendorKey none', k.vendorKey('v1'), undefined);
  await store.transaction(() => k.setVendorKey('v1', bytes32(0xc1), T0));
  await r.is('vendorKey', k.vendorKey('v1'), { key: bytes32(0xc1), updatedAt: T0 });
  await store.transaction(() => k.setVendorKey('v1', bytes32(0xc2), T1));
  await r.is('vendorKey replaced', k.vendorKey('v1'), { key: bytes32(0xc2), updatedAt: T1 });
  await r.is('vendorKey of another vendor', k.vendorKey('v2'), undefined);
}

const token = (id: string, userId: string, name: string, hash: number, limitMills: number | null, createdAt: string) => ({
  id,
  userId,
  name,
  secretHash: bytes32(hash),
  limitMills,
  createdAt,
});

/** Runs after {@link paywordKeysScenario}: wallet keys 0x05 and 0x90 of U1 are connected. */
async function tokensScenario(store: Store, r: Recorder): Promise<void> {
  const t = store.tokens;
  const t1 = token('t_00000000000000a1', U1, 'laptop', 0xd1, 1000, T1);
  const t2 = token('t_00000000000000a2', U1, 'script', 0xd2, null, T1);
  const t3 = token('t_00000000000000a3', U1, 'old', 0xd3, 0, T0);
  const t4 = token('t_00000000000000b1', U2, 'bob', 0xd4, 50, T2);
  await store.transaction(async () => {
    for (const x of [t1, t2, t3, t4]) await t.insert(x);
  });
  const fresh = { spentMills: 0, lastUsedAt: null };
  await r.is('byHash', t.byHash(bytes32(0xd1)), { ...t1, ...fresh });
  await r.is('byHash unknown', t.byHash(bytes32(0xdf)), undefined);
  await r.is('byId', t.byId(t2.id), { ...t2, ...fresh });
  await r.is('byId unknown', t.byId('t_00000000000000ff'), undefined);
  await r.is(
    'ofUser newest first, then last made',
    t.ofUser(U1),
    [t2, t1, t3].map((x) => ({ ...x, ...fresh })),
  );
  await r.is('countOfUser', t.countOfUser(U1), 3);
  await r.is('countOfUser none', t.countOfUser('u_00000000000000ff'), 0);
  await store.transaction(async () => {
    await t.touch(t1.id, T2);
    await t.spend(t1.id, 600);
    await t.spend(t2.id, 10 ** 12);
  });
  await r.refuses(
    'spend over the limit',
    store.transaction(() => t.spend(t1.id, 401)),
  );
  await r.is('byId spent and touched', t.byId(t1.id), { ...t1, spentMills: 600, lastUsedAt: T2 });
  await r.is('byId spent without a limit', t.byId(t2.id), { ...t2, spentMills: 10 ** 12, lastUsedAt: null });
  await tokenKeysScenario(store, r, t1.id, t2.id);
  await purchasesScenario(store, r);
  await r.is(
    'delete by another user',
    store.transaction(() => t.delete(t1.id, U2)),
    false,
  );
  await r.is(
    'delete',
    store.transaction(() => t.delete(t1.id, U1)),
    true,
  );
  await r.is(
    'delete again',
    store.transaction(() => t.delete(t1.id, U1)),
    false,
  );
  await r.is('keysOf a deleted token', t.keysOf(t1.id), []);
  await r.is('tokenOfKey of a deleted token', t.tokenOfKey(U1, bytes32(0x05)), undefined);
}

async function tokenKeysScenario(store: Store, r: Recorder, id1: string, id2: string): Promise<void> {
  const t = store.tokens;
  await store.transaction(async () => {
    await t.bindKey(id1, U1, bytes32(0x90));
    await t.bindKey(id1, U1, bytes32(0x05));
  });
  await r.refuses(
    'bindKey of a key no wallet connected',
    store.transaction(() => t.bindKey(id2, U1, bytes32(0x77))),
  );
  await r.refuses(
    'bindKey of a key bound already',
    store.transaction(() => t.bindKey(id2, U1, bytes32(0x05))),
  );
  await r.is('keysOf in byte order', t.keysOf(id1), [bytes32(0x05), bytes32(0x90)]);
  await r.is('keysOf none', t.keysOf(id2), []);
  await r.is('tokenOfKey', t.tokenOfKey(U1, bytes32(0x90)), id1);
  await r.is('tokenOfKey of another user', t.tokenOfKey(U2, bytes32(0x90)), undefined);
  await store.transaction(() => store.paywordKeys.deleteWalletKey(U1, bytes32(0x90)));
  await r.is('keysOf after the wallet key was disconnected', t.keysOf(id1), [bytes32(0x05)]);
}

async function purchasesScenario(store: Store, r: Recorder): Promise<void> {
  const t = store.tokens;
  await r.is('purchase none', t.purchase(U1, 'job-1'), undefined);
  await store.transaction(() => t.insertPurchase(U1, 'job-1', 'w1', 2, T1));
  await r.is('purchase', t.purchase(U1, 'job-1'), { withdrawalId: 'w1', count: 2 });
  await r.is('purchase of another user', t.purchase(U2, 'job-1'), undefined);
  await r.refuses(
    'insertPurchase of a request id used',
    store.transaction(() => t.insertPurchase(U1, 'job-1', 'w1', 3, T2)),
  );
  await r.is('purchase unchanged', t.purchase(U1, 'job-1'), { withdrawalId: 'w1', count: 2 });
}

async function vendorSessionsScenario(store: Store, r: Recorder): Promise<void> {
  const s = store.vendorSessions;
  const sealed = (b: number): Buffer => Buffer.alloc(60, b);
  await store.transaction(async () => {
    await s.insert(bytes32(1), 'v1', sealed(1), T0, T2);
    await s.insert(bytes32(2), 'v1', sealed(2), T0, T2);
    await s.insert(bytes32(3), 'v1', sealed(3), T1, T2);
    await s.insert(bytes32(4), 'v2', sealed(4), T0, T1);
  });
  await r.is('get', s.get(bytes32(2), at(T1)), { vendorId: 'v1', sealedKey: sealed(2), expiresAt: T2 });
  await r.is('get at its expiry', s.get(bytes32(4), at(T1)), undefined);
  await r.is('get unknown', s.get(bytes32(9), at(T0)), undefined);
  await r.is(
    'prune keeping more than there are',
    store.transaction(() => s.prune('v1', 5)),
    0,
  );
  await r.is(
    'prune keeping all (negative)',
    store.transaction(() => s.prune('v1', -1)),
    0,
  );
  await r.is(
    'prune to the newest 2',
    store.transaction(() => s.prune('v1', 2)),
    1,
  );
  await r.is('get pruned (oldest, first made)', s.get(bytes32(1), at(T0)), undefined);
  await r.is('get kept', s.get(bytes32(3), at(T0)), { vendorId: 'v1', sealedKey: sealed(3), expiresAt: T2 });
  await r.is(
    'remove',
    store.transaction(() => s.remove(bytes32(3))),
    undefined,
  );
  await r.is('get removed', s.get(bytes32(3), at(T0)), undefined);
  await r.is(
    'purge',
    store.transaction(() => s.purge(at(T1))),
    1,
  );
  await r.is(
    'purge again',
    store.transaction(() => s.purge(at(T1))),
    0,
  );
  await r.is('get after purge', s.get(bytes32(2), at(T0)), { vendorId: 'v1', sealedKey: sealed(2), expiresAt: T2 });
}

describe('accounts, tokens, vendor sessions and payword keys: PostgreSQL as SQLite', () => {
  const schemas = new PgSchemas();
  let dir: string;
  let sqlite: SqliteStore;
  let postgres: PostgresStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mm-store-accounts-'));
    sqlite = openStore(join(dir, 'broker.db'));
    postgres = await openPostgresStore({ connectionString: pgUrl(), schema: schemas.fresh() });
  });
  after(async () => {
    await sqlite?.close();
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
    await schemas.dropAll();
  });

  /** Runs a scenario on both stores (SQLite first), then compares what each call gave. */
  async function onBoth(scenario: (store: Store, r: Recorder) => Promise<void>): Promise<void> {
    const [onSqlite, onPostgres] = [new Recorder('sqlite'), new Recorder('postgres')];
    await scenario(sqlite, onSqlite);
    await scenario(postgres, onPostgres);
    assert.deepStrictEqual(onPostgres.steps, onSqlite.steps);
  }

  test('users: by id, by e-mail in any case, one account per e-mail', () => onBoth(accountsScenario));

  test('fixtures: vendors, an epoch, a withdrawal', async () => {
    for (const sql of fixtureSql((h) => `X'${h}'`)) sqlite.db.exec(sql);
    for (const sql of fixtureSql((h) => `decode('${h}', 'hex')`)) await postgres.database.query(sql);
  });

  test('sessions: live until they expire, deleted, purged', () => onBoth(sessionsScenario));
  test('ledger: lines, balances, history newest first', () => onBoth(ledgerScenario));
  test('payword keys: the broker pair made once, wallet keys, vendor keys', () => onBoth(paywordKeysScenario));
  test('API tokens: lookups, order, spending limit, bound wallet keys, purchases, deletion', () => onBoth(tokensScenario));
  test('vendor sessions: live, pruned to the newest, removed, purged', () => onBoth(vendorSessionsScenario));
});
