/**
 * Returning unspent first-superbin balls for credit (thesis: Send-Expired -> Request-Credit).
 * @module
 */
import { encodeRequestCredit, epochFromJson, formatPrice, fromHex, isExpired, type SendExpired } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import { WalletError } from './errors.ts';
import type { ReturnRecord } from './schema.ts';
import { abortQuietly } from './tx.ts';

/** A return ready to send: its record and the Request-Credit message text. */
export interface PreparedReturn {
  record: ReturnRecord;
  message: string;
}

/** The broker's answer to a Request-Credit, or why there is none. */
export type ReturnOutcome =
  | { kind: 'credited'; credited: number; creditedMills: number }
  | { kind: 'refused'; error: string }
  /** Too early: the broker takes returns of the epoch only from `returnsFrom` (ISO 8601). */
  | { kind: 'not-open'; error: string; returnsFrom: string }
  | { kind: 'failed'; error: string };

/**
 * Marks every spendable first ball of the epoch `returned` and writes a pending return record,
 * in one transaction, before the Request-Credit is sent. Balls of earlier returns of the epoch
 * that never got an answer go along again (the broker credits a ball once). Returns null when
 * there is nothing to return.
 * @example
 * const prepared = await prepareReturn(db, decodeSendExpired(text));
 * if (prepared) await fetch(prepared.record.returnUrl, { method: 'POST', body: prepared.message });
 */
export async function prepareReturn(db: WalletDb, s: SendExpired, now = Date.now()): Promise<PreparedReturn | null> {
  const tx = db.transaction(['epochs', 'balls', 'returns', 'history', 'meta'], 'readwrite');
  try {
    const owner = (await tx.objectStore('meta').get('userId'))?.value;
    if (owner !== s.userId)
      throw new WalletError('wrong-user', `the broker asks for user ${s.userId}'s coins; this wallet holds ${owner ?? 'none'}`);
    const epoch = await tx.objectStore('epochs').get(s.epoch);
    if (!epoch) throw new WalletError('unknown-epoch', `the wallet holds no coins of epoch ${s.epoch}`);
    const balls = tx.objectStore('balls');
    const unspent = (await balls.index('by-epoch-role-state').getAll([s.epoch, 0, 'unspent'])).filter((b) => !b.flag);
    const unanswered = (await tx.objectStore('returns').index('by-epoch').getAll(s.epoch)).filter((r) => r.state === 'pending');
    const id = crypto.randomUUID();
    const resend = unanswered.flatMap((r) => r.balls);
    if (unspent.length + resend.length === 0) {
      await tx.done;
      return null;
    }
    await Promise.all(unspent.map((b) => balls.put({ ...b, state: 'returned', returnId: id })));
    // Earlier unanswered returns are folded into this one.
    for (const r of unanswered) {
      await tx.objectStore('returns').put({ ...r, state: 'refused', error: `superseded by return ${id}`, updatedAt: now });
      for (const x of r.balls) {
        const ball = await balls.get([s.epoch, x]);
        if (ball) await balls.put({ ...ball, returnId: id });
      }
    }
    const record: ReturnRecord = {
      id,
      epoch: s.epoch,
      broker: s.broker,
      userId: s.userId,
      returnUrl: s.returnUrl,
      balls: [...unspent.map((b) => b.x), ...resend],
      state: 'pending',
      createdAt: now,
      updatedAt: now,
    };
    await tx.objectStore('returns').add(record);
    await tx.objectStore('history').add({
      at: now,
      kind: 'return',
      coins: -unspent.length,
      detail: `returning ${record.balls.length} coins of epoch ${s.epoch}`,
      ref: id,
    });
    await tx.done;
    const message = encodeRequestCredit({ broker: s.broker, userId: s.userId, epoch: s.epoch, balls: record.balls.map(fromHex) });
    return { record, message };
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/**
 * Records the broker's answer. Credited: done. Refused outright (a 4xx), or too early (the 409
 * `returns_not_open`): nothing was credited, so the balls go back to unspent; too early also
 * notes on the epoch when returns open, for the popup. Failed (network, 5xx): the balls stay
 * returned and the return stays pending, to be sent again with the next Send-Expired of the epoch.
 */
export async function finishReturn(db: WalletDb, id: string, outcome: ReturnOutcome, now = Date.now()): Promise<ReturnRecord> {
  const tx = db.transaction(['returns', 'balls', 'history', 'epochs'], 'readwrite');
  try {
    const r = await tx.objectStore('returns').get(id);
    if (!r) throw new WalletError('unknown-payment', `no return ${id}`);
    let next: ReturnRecord = { ...r, updatedAt: now };
    if (outcome.kind === 'credited') {
      next = { ...next, state: 'credited', credited: outcome.credited, creditedMills: outcome.creditedMills };
      await tx.objectStore('history').add({
        at: now,
        kind: 'credited',
        coins: 0,
        detail: `credited ${formatPrice(outcome.creditedMills, 'coin', outcome.credited)}`,
        ref: id,
      });
    } else if (outcome.kind === 'refused' || outcome.kind === 'not-open') {
      next = {
        ...next,
        state: 'refused',
        error: outcome.error,
        ...(outcome.kind === 'not-open' ? { returnsFrom: outcome.returnsFrom } : {}),
      };
      if (outcome.kind === 'not-open') {
        const epoch = await tx.objectStore('epochs').get(r.epoch);
        if (epoch) await tx.objectStore('epochs').put({ ...epoch, returnsFrom: outcome.returnsFrom });
      }
      const balls = tx.objectStore('balls');
      let restored = 0;
      for (const x of r.balls) {
        const ball = await balls.get([r.epoch, x]);
        if (!ball || ball.returnId !== id || ball.state !== 'returned') continue;
        const { returnId: _returnedBy, ...rest } = ball;
        await balls.put({ ...rest, state: 'unspent' });
        restored++;
      }
      const detail =
        outcome.kind === 'not-open' ? `returns of epoch ${r.epoch} open ${outcome.returnsFrom}` : `return refused: ${outcome.error}`;
      await tx.objectStore('history').add({ at: now, kind: 'return-failed', coins: restored, detail, ref: id });
    } else {
      next = { ...next, error: outcome.error };
      await tx
        .objectStore('history')
        .add({ at: now, kind: 'return-failed', coins: 0, detail: `return not answered: ${outcome.error}`, ref: id });
    }
    await tx.objectStore('returns').put(next);
    await tx.done;
    return next;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** An expired epoch whose coins the wallet can still return for credit. */
export interface ReturnableEpoch {
  epoch: string;
  /** The broker that sold the coins (Funds-Withdrawn `Broker`): the return goes to its `/api/credit`. */
  broker: string;
  /** The wallet's user, who bought them. */
  userId: string;
  /** Unspent first balls and balls of unanswered returns (1 coin = 1 mill). */
  coins: number;
  expiresAt: string;
  /** From when the broker takes returns (ISO 8601), once the wallet knows. */
  returnsFrom?: string;
}

/**
 * The expired epochs with coins to return: every unspent, unflagged first ball, and the balls of
 * returns that got no answer (they go out again with the next return).
 * @example
 * const epochs = await returnableEpochs(db); // [{ epoch: '2026-11', coins: 59, ... }]
 */
export async function returnableEpochs(db: WalletDb, now = Date.now()): Promise<ReturnableEpoch[]> {
  const userId = (await db.get('meta', 'userId'))?.value;
  if (!userId) return [];
  const out: ReturnableEpoch[] = [];
  for (const e of await db.getAll('epochs')) {
    if (!isExpired(epochFromJson(e.params), now)) continue;
    const unspent = (await db.getAllFromIndex('balls', 'by-epoch-role-state', [e.id, 0, 'unspent'])).filter((b) => !b.flag).length;
    const unanswered = (await db.getAllFromIndex('returns', 'by-epoch', e.id))
      .filter((r) => r.state === 'pending')
      .reduce((n, r) => n + r.balls.length, 0);
    if (unspent + unanswered === 0) continue;
    out.push({
      epoch: e.id,
      broker: e.broker,
      userId,
      coins: unspent + unanswered,
      expiresAt: e.params.expiresAt,
      ...(e.returnsFrom ? { returnsFrom: e.returnsFrom } : {}),
    });
  }
  return out;
}

/** Notes from when the broker takes returns of an epoch (as its epoch API or a `returns_not_open` said). */
export async function noteReturnsFrom(db: WalletDb, epoch: string, returnsFrom: string): Promise<void> {
  if (Number.isNaN(Date.parse(returnsFrom))) throw new RangeError('returnsFrom must be an ISO 8601 date');
  const iso = new Date(returnsFrom).toISOString();
  const tx = db.transaction('epochs', 'readwrite');
  try {
    const record = await tx.store.get(epoch);
    if (record && record.returnsFrom !== iso) await tx.store.put({ ...record, returnsFrom: iso });
    await tx.done;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}
