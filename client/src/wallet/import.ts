/**
 * Storing a purchase: the superbin sets of a Funds-Withdrawn message (docs/protocol.md section 8),
 * checked ball by ball by shared's decoder, in one transaction. A withdrawal is stored once.
 * @module
 */
import {
  epochToJson,
  importRefusal,
  importSummary,
  readFunds,
  toHex,
  type FundsWithdrawn,
  type ImportRefusal,
  type ImportResult,
} from '@micromint/shared';
import { WalletError } from '../errors.ts';
import { immediate, type WalletDb } from './db.ts';
import { addHistory } from './history.ts';
import { getMeta, setMeta } from './meta.ts';

const refused = (r: ImportRefusal): WalletError => new WalletError(r.code, r.message);

/** Refuses, before anything is written, a message for another broker or user, of an expired epoch (the wallets' shared checks), or of an epoch held with other parameters. */
function check(db: WalletDb, funds: FundsWithdrawn, now: number): void {
  const refusal = importRefusal(funds, { broker: getMeta(db, 'broker'), userId: getMeta(db, 'userId'), now });
  if (refusal) throw refused(refusal);
  const known = db.prepare('SELECT params FROM epochs WHERE id = ?').get(funds.epoch.id) as { params: string } | undefined;
  if (known && known.params !== JSON.stringify(epochToJson(funds.epoch)))
    throw new WalletError('epoch-mismatch', `epoch ${funds.epoch.id} has other parameters than the one in the wallet`);
}

function store(db: WalletDb, funds: FundsWithdrawn, now: number): void {
  const epoch = funds.epoch.id;
  if (getMeta(db, 'userId') === undefined) setMeta(db, 'userId', funds.userId);
  if (getMeta(db, 'broker') === undefined) setMeta(db, 'broker', funds.broker);
  db.prepare('INSERT OR IGNORE INTO epochs (id, params, broker, added_at) VALUES (?, ?, ?, ?)').run(
    epoch,
    JSON.stringify(epochToJson(funds.epoch)),
    funds.broker,
    now,
  );
  const addSet = db.prepare(
    'INSERT OR IGNORE INTO sets (id, epoch, first, superbins, withdrawal_id, user_id, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const addBall = db.prepare('INSERT OR IGNORE INTO balls (epoch, x, set_id, role, subbin) VALUES (?, ?, ?, ?, ?)');
  for (const set of funds.sets) {
    const id = `${epoch}/${set.superbins[0]!}`;
    // A set delivered again under another withdrawal keeps its balls' states: spent stays spent.
    if (addSet.run(id, epoch, set.superbins[0]!, JSON.stringify(set.superbins), funds.withdrawalId, funds.userId, now).changes === 0)
      continue;
    set.balls.forEach((bin, role) => {
      for (const [subbin, x] of bin) addBall.run(epoch, toHex(x), id, role, subbin);
    });
  }
  db.prepare('INSERT INTO withdrawals (id, broker, user_id, epoch, sets, coins, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    funds.withdrawalId,
    funds.broker,
    funds.userId,
    epoch,
    funds.sets.length,
    funds.coins,
    now,
  );
  addHistory(db, {
    at: now,
    kind: 'import',
    mills: funds.coins,
    detail: `${funds.sets.length} superbin sets of epoch ${epoch} (${funds.coins} coins) from ${funds.broker}`,
    ref: funds.withdrawalId,
  });
}

/**
 * Decodes a Funds-Withdrawn message and stores its sets in one transaction; idempotent by
 * withdrawal id. The first import binds the wallet to its user and broker.
 * @throws WalletError `invalid-message`, `wrong-broker`, `wrong-user`, `expired`, `epoch-mismatch` (nothing written).
 * @example
 * const r = importFunds(db, text);
 * console.log(`stored ${r.coins} coins`);
 */
export function importFunds(db: WalletDb, text: string, now = Date.now()): ImportResult {
  const read = readFunds(text);
  if ('refusal' in read) throw refused(read.refusal);
  const { funds } = read;
  const result = importSummary(funds);
  return immediate(db, () => {
    if (db.prepare('SELECT 1 FROM withdrawals WHERE id = ?').get(funds.withdrawalId)) return { imported: false, ...result };
    check(db, funds, now);
    store(db, funds, now);
    return { imported: true, ...result };
  });
}
