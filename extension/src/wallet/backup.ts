/**
 * Backing up the wallet into a file and importing it into another (or the same) browser profile.
 *
 * Exporting MOVES: the coins and open chains in the file are marked away in this wallet in the
 * transaction that stores the file, and are never spent here again; importing merges by coin and
 * chain id under the rules of backup-merge.ts, so a coin or a link lives in one wallet at a time.
 * @module
 */
import { formatMoney, formatPrice, fromBase64, fromUtf8, toBase64, utf8 } from '@micromint/shared';
import type { IDBPTransaction } from 'idb';
import { BackupError, createSealer, openBackup, type BackupSealer } from './backup-file.ts';
import { decideBall, decideChain, generationOf, isAway, type BackupMark, type Marked } from './backup-merge.ts';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  MAX_BACKUP_HISTORY,
  readPayload,
  type BackupBallState,
  type BackupChain,
  type BackupPayload,
  type BackupSet,
  type BackupSettings,
} from './backup-payload.ts';
import { linksLeft, statusAt } from './chains.ts';
import type { WalletDb } from './db.ts';
import type { BallRecord, ChainRecord, EpochRecord, MetaRecord, SetRecord, WalletSchema, WithdrawalRecord } from './schema.ts';
import { abortQuietly } from './tx.ts';

/** What an export moved into its file. */
export interface ExportSummary {
  id: string;
  createdAt: number;
  /** Coins moved (1 coin = 1 mill), of every epoch (an expired epoch's coins can still be returned for credit). */
  coins: number;
  chains: number;
  /** What the moved chains can still pay, in mills. */
  chainsMills: number;
  bytes: number;
}

/** What an import added. */
export interface ImportSummary {
  id: string;
  /** When the file was made. */
  createdAt: number;
  /** The file was imported here before: nothing was added. */
  alreadyImported: boolean;
  /** Coins now spendable here that were not (added, or brought back). */
  coins: number;
  chains: number;
  chainsMills: number;
  /** History entries added. */
  history: number;
  /** Coins of the file this wallet knows as spent, moved on, or its own export: left as they were. */
  notAdded: number;
}

/** The newest backup file this wallet made, kept so it can be downloaded again. */
export interface StoredBackup {
  summary: ExportSummary;
  file: Uint8Array;
}

/** Meta keys of the backup (the meta store keeps small named values; these need no schema change). */
const LAST_FILE_KEY = 'backup:last-file';
const importedKey = (id: string) => `backup:imported:${id}`;
const metaRecord = (key: string, value: string): MetaRecord => ({ key, value }) as unknown as MetaRecord;

/** How often an export starts again when a payment changed the wallet while its file was being sealed. */
const EXPORT_ATTEMPTS = 5;

const isHeld = (b: BallRecord): boolean => b.role === 0 && b.state === 'unspent' && !b.flag;
const isLiveChain = (c: ChainRecord, now: number): boolean =>
  statusAt(c, now) === 'open' && c.authorization !== undefined && linksLeft(c) > 0;

/** What an export reads, in one transaction. */
interface Snapshot {
  userId: string;
  epochs: EpochRecord[];
  sets: { record: SetRecord; balls: Marked<BallRecord>[] }[];
  withdrawals: WithdrawalRecord[];
  chains: Marked<ChainRecord>[];
  history: BackupPayload['history'];
}

async function readSnapshot(db: WalletDb, now: number): Promise<Snapshot> {
  const tx = db.transaction(['meta', 'epochs', 'sets', 'balls', 'withdrawals', 'chains', 'history'], 'readonly');
  const userId = (await tx.objectStore('meta').get('userId'))?.value;
  const byIndex = tx.objectStore('balls').index('by-set');
  const sets = (
    await Promise.all((await tx.objectStore('sets').getAll()).map(async (record) => ({ record, balls: await byIndex.getAll(record.id) })))
  ).filter((s) => s.record.userId === userId && s.balls.some(isHeld));
  const epochIds = new Set(sets.map((s) => s.record.epoch));
  const withdrawalIds = new Set(sets.map((s) => s.record.withdrawalId));
  const epochs = (await tx.objectStore('epochs').getAll()).filter((e) => epochIds.has(e.id));
  const withdrawals = (await tx.objectStore('withdrawals').getAll()).filter((w) => withdrawalIds.has(w.withdrawalId));
  const chains = (await tx.objectStore('chains').getAll()).filter((c) => c.userId === userId && isLiveChain(c, now));
  const history: BackupPayload['history'] = [];
  let cursor = await tx.objectStore('history').index('by-at').openCursor(null, 'prev');
  while (cursor && history.length < MAX_BACKUP_HISTORY) {
    const { id: _id, ...entry } = cursor.value;
    history.unshift(entry);
    cursor = await cursor.continue();
  }
  await tx.done;
  if (!userId || (sets.length === 0 && chains.length === 0))
    throw new BackupError('nothing-to-move', 'the wallet holds no coins or open chains to put in a backup');
  return { userId, epochs, sets, withdrawals, chains, history };
}

/** A first ball as the file carries it. */
function fileState(b: Marked<BallRecord>): [BackupBallState, number] {
  if (isHeld(b)) return ['unspent', generationOf(b) + 1];
  if (b.state === 'spent' && isAway(b) && !b.paymentId) return ['moved', generationOf(b)];
  return ['spent', generationOf(b)];
}

function setToFile(s: Snapshot['sets'][number], k: number): BackupSet {
  const later = Array.from({ length: k - 1 }, (): [number, string][] => []);
  const coins: BackupSet['coins'] = [];
  for (const b of [...s.balls].sort((a, c) => a.subbin - c.subbin)) {
    if (b.role === 0) coins.push([b.subbin, b.x, ...fileState(b)]);
    else later[b.role - 1]?.push([b.subbin, b.x]);
  }
  const { epoch, first, superbins, withdrawalId, broker, importedAt } = s.record;
  return { epoch, first, superbins, withdrawalId, broker, importedAt, coins, later };
}

function chainToFile(c: Marked<ChainRecord>): BackupChain {
  const b64 = toBase64;
  return {
    id: c.id,
    broker: c.broker,
    userId: c.userId,
    vendorId: c.vendorId,
    vendorKey: c.vendorKey,
    value: c.value,
    length: c.length,
    expiresAt: c.expiresAt,
    next: c.next,
    sentCommitment: c.sentCommitment,
    seed: b64(c.seed),
    salt: b64(c.salt),
    root: b64(c.root),
    checkpoints: c.checkpoints.map((p) => [p.index, b64(p.link)]),
    chainSecret: b64(c.chainSecret),
    macKey: b64(c.macKey),
    commitment: b64(c.commitment),
    request: b64(c.request),
    authorization: b64(c.authorization!),
    createdAt: c.createdAt,
    gen: generationOf(c) + 1,
  };
}

function toPayload(snap: Snapshot, id: string, now: number, settings: BackupSettings): BackupPayload {
  const ks = new Map(snap.epochs.map((e) => [e.id, e.params.k]));
  return {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    id,
    createdAt: now,
    userId: snap.userId,
    epochs: snap.epochs.map((e) => ({
      id: e.id,
      params: e.params,
      broker: e.broker,
      addedAt: e.addedAt,
      ...(e.returnsFrom ? { returnsFrom: e.returnsFrom } : {}),
    })),
    withdrawals: snap.withdrawals,
    sets: snap.sets.map((s) => setToFile(s, ks.get(s.record.epoch)!)),
    chains: snap.chains.map(chainToFile),
    history: snap.history,
    settings,
  };
}

const chainsMillsOf = (chains: readonly Pick<ChainRecord, 'length' | 'next' | 'value'>[]) =>
  chains.reduce((n, c) => n + linksLeft(c) * c.value, 0);

/**
 * Marks what the file holds as away and stores the file, in one transaction, if nothing it holds
 * changed since the snapshot (a payment in another tab); returns false (nothing written) if something did.
 */
async function commitMove(db: WalletDb, snap: Snapshot, summary: ExportSummary, file: Uint8Array): Promise<boolean> {
  const tx = db.transaction(['balls', 'chains', 'history', 'meta'], 'readwrite');
  const { id, createdAt: now } = summary;
  try {
    const away = { by: id, at: now };
    const balls = tx.objectStore('balls');
    const held = snap.sets.flatMap((s) => s.balls.filter(isHeld));
    const nowBalls = (await Promise.all(held.map((b) => balls.get([b.epoch, b.x])))) as (Marked<BallRecord> | undefined)[];
    const chains = tx.objectStore('chains');
    const nowChains = (await Promise.all(snap.chains.map((c) => chains.get(c.id)))) as (Marked<ChainRecord> | undefined)[];
    const same =
      nowBalls.every((b, i) => b !== undefined && isHeld(b) && generationOf(b) === generationOf(held[i]!)) &&
      nowChains.every((c, i) => c !== undefined && c.next === snap.chains[i]!.next && c.status === snap.chains[i]!.status);
    if (!same) {
      abortQuietly(tx);
      return false;
    }
    const writes: Promise<unknown>[] = [];
    for (const b of nowBalls as Marked<BallRecord>[]) {
      const moved: Marked<BallRecord> = { ...b, state: 'spent', backup: { gen: generationOf(b) + 1, away } };
      writes.push(balls.put(moved));
    }
    for (const c of nowChains as Marked<ChainRecord>[]) {
      const moved: Marked<ChainRecord> = {
        ...c,
        status: 'closed',
        error: `moved into backup ${id}`,
        backup: { gen: generationOf(c) + 1, away },
        updatedAt: now,
      };
      writes.push(chains.put(moved));
    }
    writes.push(
      tx.objectStore('history').add({
        at: now,
        kind: 'import',
        coins: -summary.coins,
        detail: `moved ${formatPrice(summary.coins)} and ${summary.chains} chains (${formatMoney(summary.chainsMills)}) into a backup file`,
        ref: `backup-out:${id}`,
      }),
      tx.objectStore('meta').put(metaRecord(LAST_FILE_KEY, JSON.stringify({ summary, file: toBase64(file) }))),
    );
    await Promise.all(writes);
    await tx.done;
    return true;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** What an export needs: the passphrase (or a sealer made from it), and the settings the file carries. */
export interface ExportOptions {
  passphrase?: string;
  sealer?: BackupSealer;
  settings?: BackupSettings;
  /** PBKDF2 iterations (tests use the least the format allows). */
  iterations?: number;
  now?: number;
}

/**
 * Makes a backup file of every coin (of sets with coins left) and every open chain, and moves them
 * out of this wallet: in the transaction that stores the file (kept, to be downloaded again) they
 * are marked away, and this wallet never spends them again. A payment that changes the wallet while
 * the file is sealed makes the export start again.
 * @throws BackupError `nothing-to-move`, `weak-passphrase`, `wallet-busy`, `too-large`
 * @example
 * const { file, summary } = await exportWallet(db, { passphrase, settings: await settings.get() });
 */
export async function exportWallet(db: WalletDb, o: ExportOptions): Promise<{ file: Uint8Array; summary: ExportSummary }> {
  const sealer = o.sealer ?? (await createSealer(o.passphrase ?? '', o.iterations !== undefined ? { iterations: o.iterations } : {}));
  for (let attempt = 0; attempt < EXPORT_ATTEMPTS; attempt++) {
    const now = o.now ?? Date.now();
    const snap = await readSnapshot(db, now);
    const id = crypto.randomUUID();
    const payload = toPayload(snap, id, now, o.settings ?? {});
    const file = await sealer.seal(utf8(JSON.stringify(payload)));
    const summary: ExportSummary = {
      id,
      createdAt: now,
      coins: snap.sets.reduce((n, s) => n + s.balls.filter(isHeld).length, 0),
      chains: snap.chains.length,
      chainsMills: chainsMillsOf(snap.chains),
      bytes: file.length,
    };
    if (await commitMove(db, snap, summary, file)) return { file, summary };
  }
  throw new BackupError('wallet-busy', 'the wallet kept changing while the backup was made; nothing was moved, try again');
}

/** The newest backup file this wallet made, if any. */
export async function lastBackupFile(db: WalletDb): Promise<StoredBackup | undefined> {
  const record = await db.get('meta', LAST_FILE_KEY);
  if (!record) return undefined;
  const { summary, file } = JSON.parse(record.value) as { summary: ExportSummary; file: string };
  return { summary, file: fromBase64(file) };
}

/**
 * Opens a backup file with its passphrase and reads its contents (every member checked).
 * @throws BackupError `not-a-backup`, `unsupported-version`, `wrong-passphrase`, `damaged`, `too-large`, `invalid-backup`
 */
export async function openBackupFile(file: Uint8Array, passphrase: string): Promise<BackupPayload> {
  const plaintext = await openBackup(file, passphrase);
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(plaintext));
  } catch {
    throw new BackupError('invalid-backup', 'the backup does not hold JSON');
  }
  return readPayload(json);
}

const IMPORT_STORES = ['meta', 'epochs', 'sets', 'balls', 'withdrawals', 'chains', 'history'] as const;
type ImportTx = IDBPTransaction<WalletSchema, (typeof IMPORT_STORES)[number][], 'readwrite'>;

/** Refuses a file of another user or with an epoch unlike the wallet's; reads only. */
async function checkTarget(tx: ImportTx, p: BackupPayload): Promise<{ owner?: string; known: Map<string, EpochRecord> }> {
  const owner = (await tx.objectStore('meta').get('userId'))?.value;
  if (owner && owner !== p.userId)
    throw new BackupError('wrong-user', `the backup holds coins of user ${p.userId}; this wallet belongs to ${owner}`);
  const known = new Map<string, EpochRecord>();
  for (const e of p.epochs) {
    const mine = await tx.objectStore('epochs').get(e.id);
    if (mine && JSON.stringify(mine.params) !== JSON.stringify(e.params))
      throw new BackupError('epoch-mismatch', `epoch ${e.id} of the backup has other parameters than the wallet's`);
    if (mine) known.set(e.id, mine);
  }
  return { ...(owner ? { owner } : {}), known };
}

/** Merges one set's coins; returns [coins now spendable here, coins not added]. */
async function mergeSet(tx: ImportTx, p: BackupPayload, s: BackupSet, now: number): Promise<[number, number]> {
  const id = `${s.epoch}/${s.first}`;
  const sets = tx.objectStore('sets');
  const balls = tx.objectStore('balls');
  if (!(await sets.getKey(id)))
    await sets.add({
      id,
      epoch: s.epoch,
      first: s.first,
      superbins: s.superbins,
      withdrawalId: s.withdrawalId,
      userId: p.userId,
      broker: s.broker,
      importedAt: s.importedAt,
    });
  // Each ball looked up by its key (not by set): a coin's record wherever the wallet has it.
  const found = (await Promise.all(s.coins.map(([, x]) => balls.get([s.epoch, x])))) as (Marked<BallRecord> | undefined)[];
  const mine = new Map(found.filter((b) => b !== undefined).map((b) => [b.x, b]));
  const base = (role: number, subbin: number, x: string): Marked<BallRecord> => ({
    epoch: s.epoch,
    x,
    set: id,
    role,
    superbin: s.superbins[role]!,
    subbin,
    state: 'unspent',
  });
  const writes: Promise<unknown>[] = [];
  let held = 0;
  let notAdded = 0;
  for (const [subbin, x, state, gen] of s.coins) {
    const target = mine.get(x);
    const decision = decideBall(target, state, gen);
    if (decision.do === 'keep') {
      if (state === 'unspent') notAdded++;
      continue;
    }
    const { paymentId: _p, returnId: _r, backup: _b, ...rest } = target ?? base(0, subbin, x);
    const mark: BackupMark = decision.do === 'hold' ? { gen: decision.gen } : { gen: decision.gen, away: { by: p.id, at: now } };
    const record: Marked<BallRecord> = { ...rest, state: decision.do === 'hold' ? 'unspent' : 'spent', backup: mark };
    if (decision.do === 'hold') held++;
    else if (state === 'unspent') notAdded++;
    writes.push(balls.put(record));
  }
  s.later.forEach((list, i) => {
    for (const [subbin, x] of list)
      writes.push(balls.getKey([s.epoch, x]).then((key) => (key ? undefined : balls.add(base(i + 1, subbin, x)))));
  });
  await Promise.all(writes);
  return [held, notAdded];
}

function chainFromFile(c: BackupChain, now: number): Marked<ChainRecord> {
  const b = fromBase64;
  return {
    id: c.id,
    broker: c.broker,
    userId: c.userId,
    vendorId: c.vendorId,
    vendorKey: c.vendorKey,
    value: c.value,
    length: c.length,
    expiresAt: c.expiresAt,
    seed: b(c.seed),
    salt: b(c.salt),
    root: b(c.root),
    checkpoints: c.checkpoints.map(([index, link]) => ({ index, link: b(link) })),
    chainSecret: b(c.chainSecret),
    macKey: b(c.macKey),
    commitment: b(c.commitment),
    request: b(c.request),
    authorization: b(c.authorization),
    next: c.next,
    status: 'open',
    sentCommitment: c.sentCommitment,
    createdAt: c.createdAt,
    updatedAt: now,
    backup: { gen: c.gen },
  };
}

/** Merges one chain; returns the mills it can now pay here (0 when it was kept as the wallet had it). */
async function mergeChain(tx: ImportTx, c: BackupChain, now: number): Promise<number> {
  const chains = tx.objectStore('chains');
  const target = (await chains.get(c.id)) as Marked<ChainRecord> | undefined;
  const decision = decideChain(target, c.gen);
  const next = Math.max(c.next, target?.next ?? 1);
  if (decision === 'keep') {
    if (target && next > target.next)
      await chains.put({
        ...target,
        next,
        ...(target.status === 'open' && next > target.length ? { status: 'exhausted' } : {}),
        updatedAt: now,
      });
    return 0;
  }
  const record: Marked<ChainRecord> = { ...chainFromFile(c, now), next, ...(next > c.length ? { status: 'exhausted' } : {}) };
  await chains.put(record);
  return statusAt(record, now) === 'open' ? linksLeft(record) * record.value : 0;
}

/**
 * Merges a backup into the wallet in one transaction: epochs, withdrawals and sets it lacks are
 * added, each coin and chain by the rules of backup-merge.ts (a coin spent or moved here stays
 * so; the wallet's own file and a file imported before add nothing), the file's history once.
 * A file of another user, or with an epoch unlike the wallet's, is refused and nothing is written.
 * @throws BackupError `wrong-user`, `epoch-mismatch`
 * @example
 * const summary = await importWallet(db, await openBackupFile(file, passphrase));
 */
export async function importWallet(db: WalletDb, p: BackupPayload, now = Date.now()): Promise<ImportSummary> {
  const tx = db.transaction([...IMPORT_STORES], 'readwrite');
  try {
    const { owner, known } = await checkTarget(tx, p);
    const meta = tx.objectStore('meta');
    const alreadyImported = (await meta.get(importedKey(p.id))) !== undefined;
    if (!owner) await meta.put({ key: 'userId', value: p.userId });
    for (const e of p.epochs) {
      const mine = known.get(e.id);
      if (!mine) await tx.objectStore('epochs').put({ ...e, addedAt: now });
      else if (!mine.returnsFrom && e.returnsFrom) await tx.objectStore('epochs').put({ ...mine, returnsFrom: e.returnsFrom });
    }
    for (const w of p.withdrawals)
      if (!(await tx.objectStore('withdrawals').getKey(w.withdrawalId))) await tx.objectStore('withdrawals').add(w);
    let coins = 0;
    let notAdded = 0;
    for (const s of p.sets) {
      const [held, kept] = await mergeSet(tx, p, s, now);
      coins += held;
      notAdded += kept;
    }
    let chains = 0;
    let chainsMills = 0;
    for (const c of p.chains) {
      const mills = await mergeChain(tx, c, now);
      if (mills > 0) chains++;
      chainsMills += mills;
    }
    const history = tx.objectStore('history');
    const entries = alreadyImported ? [] : p.history;
    for (const h of entries) await history.add(h);
    if (!alreadyImported || coins > 0 || chains > 0)
      await history.add({
        at: now,
        kind: 'import',
        coins,
        detail: `restored ${formatPrice(coins)} and ${chains} chains (${formatMoney(chainsMills)}) from a backup made ${new Date(p.createdAt).toISOString()}`,
        ref: `backup-in:${p.id}`,
      });
    await meta.put(metaRecord(importedKey(p.id), new Date(now).toISOString()));
    await tx.done;
    return { id: p.id, createdAt: p.createdAt, alreadyImported, coins, chains, chainsMills, history: entries.length, notAdded };
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}
