/**
 * Storing the superbin sets of a Funds-Withdrawn message.
 * @module
 */
import { epochToJson, importRefusal, importSummary, readFunds, toHex, type ImportRefusal, type ImportResult } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import { WalletError } from './errors.ts';
import { abortQuietly } from './tx.ts';
import type { BallRecord, SetRecord } from './schema.ts';

export type { ImportResult } from '@micromint/shared';

/** Checks on the sender of the message. */
export interface ImportOptions {
  /** The user id configured in the extension, if any: a message for another user is refused. */
  expectedUserId?: string;
  /** The configured broker's origin: a message naming another broker is refused. */
  brokerOrigin?: string;
  now?: number;
}

const setId = (epoch: string, first: number): string => `${epoch}/${first}`;

const refused = (r: ImportRefusal): WalletError => new WalletError(r.code, r.message);

/**
 * Decodes a Funds-Withdrawn message (which checks every ball against the epoch's hash) and stores
 * its sets in one transaction. Idempotent by withdrawal id; a wallet bound to another user, or a
 * message from another broker, is refused with a {@link WalletError} and nothing is written.
 * @example
 * const result = await importFunds(db, text, { brokerOrigin: 'http://127.0.0.1:4000' });
 * console.log(`stored ${result.coins} coins`);
 */
export async function importFunds(db: WalletDb, text: string, options: ImportOptions = {}): Promise<ImportResult> {
  const read = readFunds(text);
  if ('refusal' in read) throw refused(read.refusal);
  const { funds } = read;
  const now = options.now ?? Date.now();
  const refusal = importRefusal(funds, { broker: options.brokerOrigin, userId: options.expectedUserId || undefined, now });
  if (refusal) throw refused(refusal);

  const result: ImportResult = { imported: false, ...importSummary(funds) };
  const tx = db.transaction(['epochs', 'sets', 'balls', 'withdrawals', 'history', 'meta'], 'readwrite');
  try {
    // Every check reads before anything is written, so a refusal leaves the stores untouched.
    if (await tx.objectStore('withdrawals').get(funds.withdrawalId)) {
      await tx.done;
      return result;
    }
    const owner = await tx.objectStore('meta').get('userId');
    const notOwner = owner && importRefusal(funds, { userId: owner.value, now });
    if (notOwner) throw refused(notOwner);
    const known = await tx.objectStore('epochs').get(funds.epoch.id);
    const params = epochToJson(funds.epoch);
    if (known && (known.params.key !== params.key || JSON.stringify(known.params) !== JSON.stringify(params)))
      throw new WalletError('epoch-mismatch', `epoch ${funds.epoch.id} has different parameters than the one in the wallet`);

    if (!owner) await tx.objectStore('meta').put({ key: 'userId', value: funds.userId });
    if (!known) await tx.objectStore('epochs').put({ id: funds.epoch.id, params, broker: funds.broker, addedAt: now });
    const sets = tx.objectStore('sets');
    const balls = tx.objectStore('balls');
    for (const set of funds.sets) {
      const record: SetRecord = {
        id: setId(funds.epoch.id, set.superbins[0]!),
        epoch: funds.epoch.id,
        first: set.superbins[0]!,
        superbins: set.superbins,
        withdrawalId: funds.withdrawalId,
        userId: funds.userId,
        broker: funds.broker,
        importedAt: now,
      };
      // A set delivered again under a new withdrawal id keeps its balls' states (spent stays spent).
      if (await sets.get(record.id)) continue;
      await sets.add(record);
      const records: BallRecord[] = set.balls.flatMap((bin, role) =>
        [...bin].map(([subbin, x]) => ({
          epoch: funds.epoch.id,
          x: toHex(x),
          set: record.id,
          role,
          superbin: set.superbins[role]!,
          subbin,
          state: 'unspent' as const,
        })),
      );
      // Issued together: IndexedDB runs them in order inside the transaction without a round trip each.
      await Promise.all(
        records.map(async (ball) => {
          if (!(await balls.getKey([ball.epoch, ball.x]))) await balls.add(ball);
        }),
      );
    }
    await tx.objectStore('withdrawals').add({
      withdrawalId: funds.withdrawalId,
      broker: funds.broker,
      userId: funds.userId,
      epoch: funds.epoch.id,
      sets: funds.sets.length,
      coins: funds.coins,
      importedAt: now,
    });
    await tx.objectStore('history').add({
      at: now,
      kind: 'import',
      coins: funds.coins,
      detail: `${funds.sets.length} superbin sets of epoch ${funds.epoch.id} from ${funds.broker}`,
      ref: funds.withdrawalId,
    });
    await tx.done;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
  return { ...result, imported: true };
}
