/**
 * Backup and restore: a wallet with coins, a spent coin and an open PayWord chain is exported under a
 * passphrase (which moves it out) and imported into another wallet, which pays with it; the file's
 * format, a wrong passphrase, a changed file, importing twice, importing back, and the rules that
 * keep a coin or a link in one wallet at a time.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64 } from '@micromint/shared';
import { ChainOpener } from '../src/background/chain-opener.ts';
import { PaywordBrokerClient } from '../src/background/payword-broker.ts';
import type { SchemeContext } from '../src/background/schemes/types.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import {
  BACKUP_MAGIC,
  BackupError,
  createSealer,
  HEADER_BYTES,
  MIN_ITERATIONS,
  readHeader,
  sealBackup,
  type BackupSealer,
} from '../src/wallet/backup-file.ts';
import { decideBall, type Marked } from '../src/wallet/backup-merge.ts';
import { readPayload } from '../src/wallet/backup-payload.ts';
import { exportWallet, importWallet, lastBackupFile, openBackupFile } from '../src/wallet/backup.ts';
import {
  balance,
  fundsFor,
  importFunds,
  InsufficientFundsError,
  LinkPaymentError,
  openWallet,
  payLink,
  prepareReturn,
  recordConnection,
  spend,
  walletPublicKey,
  walletSummary,
  type BallRecord,
  type WalletDb,
} from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';
import { fakeBroker, paywordOffer, VENDOR_KEY, vendorCheck } from './helpers/payword.ts';

const PASSPHRASE = 'correct horse battery staple';
const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const text = fundsText(epoch, sets);
const coinsBought = sets.reduce((n, s) => n + s.balls[0]!.size, 0);
const want = (units = 1) => ({ broker: BROKER, vendorId: VENDOR, vendorKey: toBase64(VENDOR_KEY.publicKey), value: 1, units });
const fast = { iterations: MIN_ITERATIONS };

const pay = (db: WalletDb, path: string, price = 1) =>
  spend(db, {
    url: `${VENDOR}${path}`,
    vendorId: VENDOR,
    broker: BROKER,
    epoch: epoch.id,
    price,
    requirement: requirementFor(epoch, price),
  });
const payChain = (db: WalletDb, path: string, units = 1) =>
  payLink(db, { url: `${VENDOR}${path}`, method: 'GET', want: want(units), requirement: paywordOffer(units) });

/** A wallet with two sets of coins (2 of them spent) and an open 50-link chain with 2 links paid. */
async function fullWallet(label: string) {
  const db = await openWallet(freshDbName(label));
  await importFunds(db, text);
  const broker = fakeBroker();
  broker.connect(await walletPublicKey(db));
  await recordConnection(db, { broker: BROKER, userId: USER, connected: true });
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, userId: USER });
  const ctx: SchemeContext = { db, settings: await settings.get(), now: Date.now(), log: () => undefined };
  await new ChainOpener(new PaywordBrokerClient(broker.fetch)).ensure(ctx, { ...want(1), length: 50 });
  const spent = await pay(db, '/spent', 2);
  await payChain(db, '/chain', 2);
  return { db, spent, broker };
}

const emptyWallet = (label: string) => openWallet(freshDbName(label));
const exportOf = (db: WalletDb, o: { sealer?: BackupSealer } = {}) =>
  exportWallet(db, { passphrase: PASSPHRASE, ...fast, settings: { autopayThreshold: 7 }, ...o });
const heldMills = async (db: WalletDb) => (await walletSummary(db)).chainsMills;

test('the file: magic, version, iterations, random salt and IV; the same wallet never gives the same bytes', async () => {
  const a = await sealBackup(new Uint8Array([1, 2, 3]), PASSPHRASE, fast);
  const b = await sealBackup(new Uint8Array([1, 2, 3]), PASSPHRASE, fast);
  assert.deepEqual(a.subarray(0, 8), BACKUP_MAGIC);
  const h = readHeader(a);
  assert.deepEqual([h.version, h.kdf, h.iterations], [1, 1, MIN_ITERATIONS]);
  assert.notDeepEqual(h.salt, readHeader(b).salt);
  assert.notDeepEqual(h.iv, readHeader(b).iv);
  assert.ok(a.length > HEADER_BYTES + 16);
  await assert.rejects(sealBackup(new Uint8Array(1), 'short'), (e: unknown) => e instanceof BackupError && e.code === 'weak-passphrase');
  await assert.rejects(sealBackup(new Uint8Array(1), PASSPHRASE, { iterations: 1000 }), RangeError);
  const other = a.slice();
  other[8] = 2;
  assert.throws(
    () => readHeader(other),
    (e: unknown) => e instanceof BackupError && e.code === 'unsupported-version',
  );
  assert.throws(
    () => readHeader(new TextEncoder().encode('{"format":"micromint"}')),
    (e: unknown) => e instanceof BackupError && e.code === 'not-a-backup',
  );
});

test('round trip: what the file holds is spendable in the other wallet, coins and the chain from where it stopped', async () => {
  const { db: a, spent, broker } = await fullWallet('round-a');
  const coinsA = await balance(a);
  assert.equal(coinsA, coinsBought - 2);
  assert.equal(await heldMills(a), 48);
  const { file, summary } = await exportOf(a);
  assert.deepEqual([summary.coins, summary.chains, summary.chainsMills], [coinsA, 1, 48]);

  const b = await emptyWallet('round-b');
  const payload = await openBackupFile(file, PASSPHRASE);
  assert.equal(payload.userId, USER);
  assert.deepEqual(payload.settings, { autopayThreshold: 7 });
  const imported = await importWallet(b, payload);
  assert.deepEqual([imported.coins, imported.chains, imported.chainsMills, imported.alreadyImported], [coinsA, 1, 48, false]);
  assert.equal(await balance(b), coinsA);
  assert.equal(await heldMills(b), 48);
  assert.ok(imported.history > 0);
  assert.ok(
    (await walletSummary(b)).history.some((h) => h.ref === spent.id),
    'the history came along',
  );
  // The coins spent in A are not spendable in B: B pays with others.
  const paid = await pay(b, '/in-b', 3);
  assert.equal(
    paid.coinIds.some((id) => spent.coinIds.includes(id)),
    false,
  );
  assert.equal(await balance(b), coinsA - 3);
  // The chain pays from index 3: links 1..2 were revealed in A.
  const link = await payChain(b, '/link-in-b');
  assert.equal(link.link?.index, 3);
  const v = vendorCheck(link.header, { brokerKey: broker.key.publicKey });
  assert.equal(v.linkOk && v.macOk && v.authorizationOk, true, 'the imported secrets make a link the vendor accepts');
  a.close();
  b.close();
});

test('moved, not spendable: after the export the first wallet pays with nothing it exported, returns none, and its own file adds nothing', async () => {
  const { db: a } = await fullWallet('moved');
  const { file } = await exportOf(a);
  assert.equal(await balance(a), 0);
  assert.equal(await heldMills(a), 0);
  assert.deepEqual(await fundsFor(a, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR }), { held: 0, makeable: 0 });
  await assert.rejects(pay(a, '/after', 1), InsufficientFundsError);
  await assert.rejects(payChain(a, '/after-link'), LinkPaymentError);
  assert.equal(await prepareReturn(a, { broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: `${BROKER}/api/credit` }), null);
  const chain = (await a.getAll('chains'))[0]!;
  assert.equal(chain.status, 'closed');
  // Importing its own file back adds nothing: it may already be in another wallet.
  const again = await importWallet(a, await openBackupFile(file, PASSPHRASE));
  assert.deepEqual([again.coins, again.chains], [0, 0]);
  assert.equal(again.notAdded, coinsBought - 2);
  assert.equal(await balance(a), 0);
  await assert.rejects(payChain(a, '/still-not'), LinkPaymentError);
  // The file is kept, to be downloaded again.
  assert.deepEqual((await lastBackupFile(a))?.file, file);
  a.close();
});

test('a wrong passphrase, a changed file and a file of another user are refused and change nothing', async () => {
  const { db: a } = await fullWallet('refused-a');
  const { file } = await exportOf(a);
  const b = await emptyWallet('refused-b');
  await assert.rejects(openBackupFile(file, 'correct horse battery stapler'), (e: unknown) => {
    assert.ok(e instanceof BackupError && e.code === 'wrong-passphrase');
    assert.match(e.message, /passphrase does not open/);
    return true;
  });
  for (const at of [HEADER_BYTES + 5, file.length - 1, 30 /* the IV */]) {
    const changed = file.slice();
    changed[at]! ^= 0x01;
    await assert.rejects(openBackupFile(changed, PASSPHRASE), (e: unknown) => e instanceof BackupError && e.code === 'damaged');
  }
  await assert.rejects(
    openBackupFile(file.slice(0, file.length - 20), PASSPHRASE),
    (e: unknown) => e instanceof BackupError && e.code === 'damaged',
  );
  assert.equal((await b.getAll('sets')).length, 0);
  assert.equal(await balance(b), 0);

  const stranger = await openWallet(freshDbName('refused-c'));
  const other = sellSets(epoch, 'u_fedcba9876543210', pickFirsts(epoch, 'u_fedcba9876543210', 1));
  await importFunds(stranger, fundsText(epoch, other, { userId: 'u_fedcba9876543210', withdrawalId: 'w_other' }));
  const before = await balance(stranger);
  await assert.rejects(
    importWallet(stranger, await openBackupFile(file, PASSPHRASE)),
    (e: unknown) => e instanceof BackupError && e.code === 'wrong-user',
  );
  assert.equal(await balance(stranger), before);
  assert.equal((await stranger.getAll('chains')).length, 0);
  a.close();
  b.close();
  stranger.close();
});

test('importing the same file twice adds nothing; what the wallet spent meanwhile stays spent', async () => {
  const { db: a } = await fullWallet('twice-a');
  const { file } = await exportOf(a);
  const b = await emptyWallet('twice-b');
  const payload = await openBackupFile(file, PASSPHRASE);
  const first = await importWallet(b, payload);
  const paid = await pay(b, '/between', 4);
  await payChain(b, '/between-link', 5);
  const historyBefore = (await b.getAll('history')).length;
  const second = await importWallet(b, payload);
  assert.deepEqual([second.alreadyImported, second.coins, second.chains, second.history], [true, 0, 0, 0]);
  assert.equal((await b.getAll('history')).length, historyBefore);
  assert.equal(await balance(b), first.coins - 4, 'the 4 coins spent in between stay spent');
  for (const id of paid.coinIds) assert.equal((await b.get('balls', [epoch.id, id]))?.state, 'spent');
  assert.equal((await payChain(b, '/after-second')).link?.index, 3 + 5, 'the chain goes on from where this wallet is');
  a.close();
  b.close();
});

test('moving back and forth: each move needs a newer file; an older one adds nothing anywhere', async () => {
  const { db: a } = await fullWallet('back-a');
  const held = await balance(a);
  const toB = await exportOf(a);
  const b = await emptyWallet('back-b');
  await importWallet(b, await openBackupFile(toB.file, PASSPHRASE));
  await pay(b, '/in-b', 1);
  const toA = await exportOf(b);
  const back = await importWallet(a, await openBackupFile(toA.file, PASSPHRASE));
  assert.deepEqual([back.coins, back.chains], [held - 1, 1], 'a newer file brings the coins back into the first wallet');
  assert.equal(await balance(a), held - 1);
  assert.equal(await balance(b), 0);
  // The first file again, into either wallet: nothing.
  const old = await openBackupFile(toB.file, PASSPHRASE);
  assert.equal((await importWallet(a, old)).coins, 0);
  assert.equal((await importWallet(b, old)).coins, 0);
  assert.equal(await balance(a), held - 1);
  assert.equal(await balance(b), 0);
  a.close();
  b.close();
});

test('spent stays spent: a file saying a coin was spent puts away a stale copy another wallet still holds', async () => {
  const { db: a, spent } = await fullWallet('stale-a');
  // Another profile imported the same purchase (the broker's delivery page opened there too).
  const c = await emptyWallet('stale-c');
  await importFunds(c, text);
  const { file } = await exportOf(a);
  const summary = await importWallet(c, await openBackupFile(file, PASSPHRASE));
  assert.equal(summary.coins, 0, 'C holds these coins already');
  for (const id of spent.coinIds) assert.equal((await c.get('balls', [epoch.id, id]))?.state, 'spent', 'A spent it: C must not');
  assert.equal(await balance(c), coinsBought - 2);
  a.close();
  c.close();
});

test('a payment while the file is sealed: the export starts again, and the file never holds the coin just spent', async () => {
  const { db: a } = await fullWallet('race');
  const real = await createSealer(PASSPHRASE, fast);
  let spentMeanwhile: string[] = [];
  let seals = 0;
  const sealer: BackupSealer = {
    async seal(plaintext) {
      if (seals++ === 0) spentMeanwhile = (await pay(a, '/meanwhile', 3)).coinIds;
      return real.seal(plaintext);
    },
  };
  const { file, summary } = await exportOf(a, { sealer });
  assert.equal(seals, 2);
  assert.equal(summary.coins, coinsBought - 5);
  const payload = await openBackupFile(file, PASSPHRASE);
  const states = new Map(payload.sets.flatMap((s) => s.coins.map(([, x, state]) => [x, state] as const)));
  for (const id of spentMeanwhile) assert.equal(states.get(id), 'spent');
  a.close();
});

test('nothing to move, and a backup whose contents are not a wallet, are clear errors', async () => {
  const empty = await emptyWallet('nothing');
  await assert.rejects(exportOf(empty), (e: unknown) => e instanceof BackupError && e.code === 'nothing-to-move');
  const bogus = await sealBackup(
    new TextEncoder().encode(JSON.stringify({ format: 'micromint-wallet-backup', version: 1 })),
    PASSPHRASE,
    fast,
  );
  await assert.rejects(openBackupFile(bogus, PASSPHRASE), (e: unknown) => e instanceof BackupError && e.code === 'invalid-backup');
  assert.throws(() => readPayload({ format: 'micromint-wallet-backup', version: 2 }), /version 2/);
  empty.close();
});

test('the rules for one coin', () => {
  const ball = (state: BallRecord['state'], backup?: Marked<BallRecord>['backup']): Marked<BallRecord> => ({
    epoch: 'e',
    x: '00',
    set: 's',
    role: 0,
    superbin: 0,
    subbin: 0,
    state,
    ...(backup ? { backup } : {}),
  });
  const away = (gen: number) => ball('spent', { gen, away: { by: 'f', at: 0 } });
  assert.deepEqual(decideBall(undefined, 'unspent', 1), { do: 'hold', gen: 1 });
  assert.deepEqual(decideBall(ball('unspent'), 'unspent', 1), { do: 'keep' });
  assert.deepEqual(decideBall(away(1), 'unspent', 1), { do: 'keep' }, 'its own file');
  assert.deepEqual(decideBall(away(1), 'unspent', 2), { do: 'hold', gen: 2 }, 'a newer file brings it back');
  assert.deepEqual(decideBall({ ...ball('spent'), paymentId: 'p' }, 'unspent', 9), { do: 'keep' }, 'spent here stays spent');
  assert.deepEqual(decideBall(ball('unspent', { gen: 1 }), 'moved', 2), { do: 'away', gen: 2 }, 'moved on from a later copy');
  assert.deepEqual(decideBall(ball('unspent', { gen: 2 }), 'moved', 2), { do: 'keep' }, 'this wallet is where it moved');
  assert.deepEqual(decideBall(ball('unspent'), 'spent', 0), { do: 'away', gen: 0 });
  assert.deepEqual(decideBall(ball('unspent', { gen: 3 }), 'spent', 2), { do: 'keep' });
});
