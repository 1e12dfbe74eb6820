/**
 * What a wallet backup holds, as JSON (inside the sealed file of backup-file.ts), and the strict
 * reader that turns untrusted JSON back into it. Bytes are base64, balls lower-case hex, times
 * Unix milliseconds unless named otherwise. Documented in extension/README.md ("Backup file format").
 * @module
 */
import { aint, aobject, astring, epochFromJson, epochToJson, fromBase64, type EpochParamsJson } from '@micromint/shared';
import { BackupError } from './backup-file.ts';
import type { HistoryRecord, WithdrawalRecord } from './schema.ts';

/** `format` of every backup. */
export const BACKUP_FORMAT = 'micromint-wallet-backup';
/** The payload version this wallet writes and reads. */
export const BACKUP_VERSION = 1;
/** The newest history entries a backup carries. */
export const MAX_BACKUP_HISTORY = 500;

/**
 * A first-superbin ball (a coin) in a backup:
 * - `unspent`: moved into the file: spendable by the wallet that imports it, at generation `gen`;
 * - `moved`: moved out of the wallet that made the file earlier, at generation `gen`: it lives elsewhere;
 * - `spent`: paid, returned or refused as a double spend there (its generation there is `gen`).
 */
export type BackupBallState = 'unspent' | 'moved' | 'spent';

/** A coin of a set: `[subbin, ball hex, state, generation]`. */
export type BackupFirstBall = [subbin: number, x: string, state: BackupBallState, gen: number];
/** A ball of a later superbin: `[subbin, ball hex]` (these never change state). */
export type BackupLaterBall = [subbin: number, x: string];

/** A superbin set with all its balls. */
export interface BackupSet {
  epoch: string;
  first: number;
  /** The set's k superbins. */
  superbins: number[];
  withdrawalId: string;
  broker: string;
  importedAt: number;
  /** Balls of the first superbin: the coins. */
  coins: BackupFirstBall[];
  /** Balls of superbins 2..k, one list per superbin. */
  later: BackupLaterBall[][];
}

/** An epoch the sets belong to. */
export interface BackupEpoch {
  id: string;
  params: EpochParamsJson;
  broker: string;
  addedAt: number;
  returnsFrom?: string;
}

/** An open PayWord chain, with every secret it pays with, moved into the file at generation `gen`. */
export interface BackupChain {
  id: string;
  broker: string;
  userId: string;
  vendorId: string;
  vendorKey: string;
  value: number;
  length: number;
  /** Unix seconds. */
  expiresAt: number;
  /** The lowest index not revealed yet. */
  next: number;
  sentCommitment: boolean;
  seed: string;
  salt: string;
  root: string;
  /** `[index, link base64]`, highest index first. */
  checkpoints: [index: number, link: string][];
  chainSecret: string;
  macKey: string;
  commitment: string;
  request: string;
  authorization: string;
  createdAt: number;
  gen: number;
}

/** The settings a backup carries, as the worker's settings (validated again on import). */
export type BackupSettings = Record<string, unknown>;

/** The whole backup. */
export interface BackupPayload {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  /** A random id: the wallet that imports the file remembers it, so a second import adds nothing. */
  id: string;
  createdAt: number;
  /** The broker's user the coins were sold to (a wallet belongs to one user). */
  userId: string;
  epochs: BackupEpoch[];
  withdrawals: WithdrawalRecord[];
  sets: BackupSet[];
  chains: BackupChain[];
  /** The newest history entries, oldest first. */
  history: Omit<HistoryRecord, 'id'>[];
  settings: BackupSettings;
}

const HEX_BALL = /^[0-9a-f]{32}$/;
const HEX_ID = /^[0-9a-f]{32}$/;
const BACKUP_ID = /^[0-9a-f-]{36}$/;
const USER = /^[\x21-\x7e]{1,128}$/;
const HISTORY_KINDS: ReadonlySet<string> = new Set<HistoryRecord['kind']>([
  'import',
  'spend',
  'paid',
  'refused',
  'released',
  'resend',
  'return',
  'credited',
  'return-failed',
  'chain-open',
  'chain-closed',
]);
const BALL_STATES: ReadonlySet<string> = new Set<BackupBallState>(['unspent', 'moved', 'spent']);
const TIME_MAX = 8.64e15;
const MAX_SETS = 10_000;
const MAX_CHAINS = 10_000;

const aarray = (v: unknown, name: string, max: number): unknown[] => {
  if (!Array.isArray(v)) throw new TypeError(`${name} must be an array`);
  if (v.length > max) throw new RangeError(`${name} has more than ${max} entries`);
  return v;
};
const atime = (v: unknown, name: string) => aint(v, 0, TIME_MAX, name);
const ab64 = (v: unknown, name: string, bytes?: number): string => {
  astring(v, name, 1 << 20);
  const decoded = fromBase64(v);
  if (bytes !== undefined && decoded.length !== bytes) throw new RangeError(`${name} must be ${bytes} bytes`);
  return v;
};
const aorigin = (v: unknown, name: string): string => {
  astring(v, name, 2048);
  if (!/^https?:\/\//.test(v)) throw new RangeError(`${name} must be an http(s) URL`);
  return v;
};

function readEpoch(v: unknown, i: number): BackupEpoch {
  const name = `epochs[${i}]`;
  aobject(v, name);
  const params = epochToJson(epochFromJson(v.params));
  aorigin(v.broker, `${name}.broker`);
  atime(v.addedAt, `${name}.addedAt`);
  if (params.id !== v.id) throw new RangeError(`${name}.id must be its params' id`);
  if (v.returnsFrom !== undefined && Number.isNaN(Date.parse(String(v.returnsFrom))))
    throw new RangeError(`${name}.returnsFrom must be a date`);
  return {
    id: params.id,
    params,
    broker: v.broker as string,
    addedAt: v.addedAt as number,
    ...(v.returnsFrom !== undefined ? { returnsFrom: String(v.returnsFrom) } : {}),
  };
}

function readWithdrawal(v: unknown, i: number, userId: string): WithdrawalRecord {
  const name = `withdrawals[${i}]`;
  aobject(v, name);
  astring(v.withdrawalId, `${name}.withdrawalId`, 128);
  aorigin(v.broker, `${name}.broker`);
  if (v.userId !== userId) throw new RangeError(`${name}.userId must be the backup's user`);
  astring(v.epoch, `${name}.epoch`, 64);
  aint(v.sets, 0, 1e9, `${name}.sets`);
  aint(v.coins, 0, 1e12, `${name}.coins`);
  atime(v.importedAt, `${name}.importedAt`);
  const { withdrawalId, broker, epoch, sets, coins, importedAt } = v as unknown as WithdrawalRecord;
  return { withdrawalId, broker, userId, epoch, sets, coins, importedAt };
}

function readSet(v: unknown, i: number, epochs: ReadonlyMap<string, BackupEpoch>): BackupSet {
  const name = `sets[${i}]`;
  aobject(v, name);
  const epoch = epochs.get(v.epoch as string);
  if (!epoch) throw new RangeError(`${name}.epoch must be an epoch of the backup`);
  const { k, u, v: vBits } = epoch.params;
  const superbins = aarray(v.superbins, `${name}.superbins`, k);
  if (superbins.length !== k) throw new RangeError(`${name}.superbins must list ${k} superbins`);
  superbins.forEach((s, j) => aint(s, 0, 2 ** u - 1, `${name}.superbins[${j}]`));
  if (v.first !== superbins[0]) throw new RangeError(`${name}.first must be its first superbin`);
  astring(v.withdrawalId, `${name}.withdrawalId`, 128);
  aorigin(v.broker, `${name}.broker`);
  atime(v.importedAt, `${name}.importedAt`);
  const bin = 2 ** vBits;
  const coins = aarray(v.coins, `${name}.coins`, bin).map((c, j) => {
    const t = aarray(c, `${name}.coins[${j}]`, 4);
    aint(t[0], 0, bin - 1, `${name}.coins[${j}] subbin`);
    astring(t[1], `${name}.coins[${j}] ball`, 32, HEX_BALL);
    if (!BALL_STATES.has(t[2] as string)) throw new RangeError(`${name}.coins[${j}] state must be unspent, moved or spent`);
    aint(t[3], 0, 1e9, `${name}.coins[${j}] generation`);
    return t as BackupFirstBall;
  });
  const later = aarray(v.later, `${name}.later`, k - 1);
  if (later.length !== k - 1) throw new RangeError(`${name}.later must list ${k - 1} superbins`);
  const laterBalls = later.map((list, r) =>
    aarray(list, `${name}.later[${r}]`, bin).map((b, j) => {
      const t = aarray(b, `${name}.later[${r}][${j}]`, 2);
      aint(t[0], 0, bin - 1, `${name}.later[${r}][${j}] subbin`);
      astring(t[1], `${name}.later[${r}][${j}] ball`, 32, HEX_BALL);
      return t as BackupLaterBall;
    }),
  );
  return {
    epoch: epoch.id,
    first: v.first as number,
    superbins: superbins as number[],
    withdrawalId: v.withdrawalId as string,
    broker: v.broker as string,
    importedAt: v.importedAt as number,
    coins,
    later: laterBalls,
  };
}

function readChain(v: unknown, i: number, userId: string): BackupChain {
  const name = `chains[${i}]`;
  aobject(v, name);
  astring(v.id, `${name}.id`, 32, HEX_ID);
  aorigin(v.broker, `${name}.broker`);
  if (v.userId !== userId) throw new RangeError(`${name}.userId must be the backup's user`);
  aorigin(v.vendorId, `${name}.vendorId`);
  ab64(v.vendorKey, `${name}.vendorKey`, 32);
  aint(v.value, 1, 1e9, `${name}.value`);
  aint(v.length, 1, 1e9, `${name}.length`);
  aint(v.expiresAt, 0, TIME_MAX / 1000, `${name}.expiresAt`);
  aint(v.next, 1, (v.length as number) + 1, `${name}.next`);
  if (typeof v.sentCommitment !== 'boolean') throw new TypeError(`${name}.sentCommitment must be true or false`);
  for (const f of ['seed', 'salt', 'root', 'chainSecret', 'macKey', 'commitment', 'request', 'authorization'] as const)
    ab64(v[f], `${name}.${f}`);
  const checkpoints = aarray(v.checkpoints, `${name}.checkpoints`, 1 << 16).map((c, j) => {
    const t = aarray(c, `${name}.checkpoints[${j}]`, 2);
    aint(t[0], 0, v.length as number, `${name}.checkpoints[${j}] index`);
    ab64(t[1], `${name}.checkpoints[${j}] link`);
    return t as [number, string];
  });
  atime(v.createdAt, `${name}.createdAt`);
  aint(v.gen, 0, 1e9, `${name}.gen`);
  return { ...(v as unknown as BackupChain), checkpoints };
}

function readHistory(v: unknown, i: number): Omit<HistoryRecord, 'id'> {
  const name = `history[${i}]`;
  aobject(v, name);
  atime(v.at, `${name}.at`);
  if (!HISTORY_KINDS.has(v.kind as string)) throw new RangeError(`${name}.kind is not a history kind`);
  aint(v.coins, -1e12, 1e12, `${name}.coins`);
  if (typeof v.detail !== 'string' || v.detail.length > 4096) throw new RangeError(`${name}.detail must be text`);
  if (v.ref !== undefined) astring(v.ref, `${name}.ref`, 256);
  return {
    at: v.at as number,
    kind: v.kind as HistoryRecord['kind'],
    coins: v.coins as number,
    detail: v.detail,
    ...(v.ref !== undefined ? { ref: v.ref as string } : {}),
  };
}

/**
 * Reads a backup's JSON, checking every member (bounds, formats, that every set belongs to an
 * epoch of the backup and every record to the backup's user).
 * @throws BackupError `invalid-backup` naming the first member that is wrong
 * @example
 * const payload = readPayload(JSON.parse(fromUtf8(plaintext)));
 */
export function readPayload(json: unknown): BackupPayload {
  try {
    aobject(json, 'backup');
    if (json.format !== BACKUP_FORMAT) throw new RangeError(`format must be ${BACKUP_FORMAT}`);
    if (json.version !== BACKUP_VERSION) throw new RangeError(`version ${String(json.version)} is not ${BACKUP_VERSION}`);
    astring(json.id, 'id', 36, BACKUP_ID);
    atime(json.createdAt, 'createdAt');
    astring(json.userId, 'userId', 128, USER);
    const userId = json.userId;
    const epochs = aarray(json.epochs, 'epochs', MAX_SETS).map(readEpoch);
    const byId = new Map(epochs.map((e) => [e.id, e]));
    aobject(json.settings, 'settings');
    return {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      id: json.id,
      createdAt: json.createdAt as number,
      userId,
      epochs,
      withdrawals: aarray(json.withdrawals, 'withdrawals', MAX_SETS).map((w, i) => readWithdrawal(w, i, userId)),
      sets: aarray(json.sets, 'sets', MAX_SETS).map((s, i) => readSet(s, i, byId)),
      chains: aarray(json.chains, 'chains', MAX_CHAINS).map((c, i) => readChain(c, i, userId)),
      history: aarray(json.history, 'history', MAX_BACKUP_HISTORY).map(readHistory),
      settings: json.settings,
    };
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError)
      throw new BackupError('invalid-backup', `the backup's contents are not a wallet backup: ${e.message}`);
    throw e;
  }
}
