/**
 * Returning unspent coins for credit (docs/protocol.md 10, Returning): for each epoch whose
 * returns are open (`GET /api/returns` gives its Send-Expired), the wallet checks the message, marks
 * every unspent first-superbin ball of the epoch `returned` and records the return in one
 * transaction, then posts the Request-Credit. A 200 closes the return; a 4xx puts the balls back
 * (nothing was credited); no answer or a 5xx keeps it pending, to go out again next time (the
 * broker credits a ball once).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { brokerOrigin, decodeSendExpired, encodeRequestCredit, formatMoney, fromHex, type SendExpired } from '@micromint/shared';
import { BrokerError, WalletError } from '../errors.ts';
import { immediate, type WalletDb } from '../wallet/db.ts';
import { addHistory } from '../wallet/history.ts';
import { getMeta } from '../wallet/meta.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** Most balls in one Request-Credit (the broker reads 2 MiB of text: about 97,000). */
export const MAX_BALLS_PER_RETURN = 90_000;

/** What returning did for one epoch. */
export interface EpochReturn {
  epoch: string;
  /** `credited` (or nothing to return), `not-open` (with `returnsFrom`), `pending` (no answer: sent again next time), `refused`. */
  state: 'credited' | 'not-open' | 'pending' | 'refused' | 'nothing';
  balls: number;
  creditedMills: number;
  returnsFrom?: string;
  error?: string;
}

/** Checks a Send-Expired against the wallet (steps 1 and 2). */
function check(db: WalletDb, broker: string, text: string): SendExpired {
  let s: SendExpired;
  try {
    s = decodeSendExpired(text);
  } catch (e) {
    throw new WalletError('invalid-message', `not a Send-Expired message: ${(e as Error).message}`);
  }
  if (brokerOrigin(s.broker) !== brokerOrigin(broker) || brokerOrigin(s.returnUrl) !== brokerOrigin(broker))
    throw new WalletError('wrong-broker', `the Send-Expired names ${s.broker}`);
  if (s.userId !== getMeta(db, 'userId')) throw new WalletError('wrong-user', `the Send-Expired is for ${s.userId}`);
  return s;
}

/** Step 3: marks the epoch's unspent first balls returned with the balls of its pending returns; the return's id and balls. */
function reserve(db: WalletDb, s: SendExpired, now: number): { id: string; balls: string[] } | undefined {
  return immediate(db, () => {
    if (!db.prepare('SELECT 1 FROM epochs WHERE id = ?').get(s.epoch))
      throw new WalletError('unknown-epoch', `the wallet holds no coins of ${s.epoch}`);
    const earlier = db.prepare(`SELECT id, balls FROM returns WHERE epoch = ? AND state = 'pending'`).all(s.epoch) as {
      id: string;
      balls: string;
    }[];
    const fresh = (
      db.prepare(`SELECT x FROM balls WHERE epoch = ? AND role = 0 AND state = 'unspent' AND flag IS NULL`).all(s.epoch) as { x: string }[]
    ).map((r) => r.x);
    const balls = [...earlier.flatMap((r) => JSON.parse(r.balls) as string[]), ...fresh].slice(0, MAX_BALLS_PER_RETURN);
    if (balls.length === 0) return undefined;
    const id = randomUUID();
    for (const r of earlier) db.prepare(`UPDATE returns SET state = 'superseded', updated_at = ? WHERE id = ?`).run(now, r.id);
    const mark = db.prepare(`UPDATE balls SET state = 'returned', return_id = ? WHERE epoch = ? AND x = ?`);
    for (const x of balls) mark.run(id, s.epoch, x);
    db.prepare(
      `INSERT INTO returns (id, epoch, broker, user_id, balls, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
    ).run(id, s.epoch, s.broker, s.userId, JSON.stringify(balls), now, now);
    addHistory(db, {
      at: now,
      kind: 'return',
      mills: -balls.length,
      detail: `${balls.length} unspent coins of ${s.epoch} sent back for credit`,
      ref: id,
    });
    return { id, balls };
  });
}

/** Step 5: closes the return on the broker's answer. */
function settle(
  db: WalletDb,
  id: string,
  epoch: string,
  o: { state: 'credited' | 'refused'; mills: number; error?: string; returnsFrom?: string },
  now: number,
): void {
  immediate(db, () => {
    db.prepare('UPDATE returns SET state = ?, credited_mills = ?, error = ?, updated_at = ? WHERE id = ?').run(
      o.state,
      o.mills,
      o.error ?? null,
      now,
      id,
    );
    if (o.state === 'refused') {
      const back = db
        .prepare(`UPDATE balls SET state = 'unspent', return_id = NULL WHERE return_id = ? AND state = 'returned'`)
        .run(id).changes;
      addHistory(db, {
        at: now,
        kind: 'return-refused',
        mills: back,
        detail: `the broker refused the return (${o.error}): ${back} coins back`,
        ref: id,
      });
      if (o.returnsFrom) db.prepare('UPDATE epochs SET returns_from = ? WHERE id = ?').run(o.returnsFrom, epoch);
    } else
      addHistory(db, {
        at: now,
        kind: 'credited',
        mills: 0,
        detail: `${formatMoney(o.mills)} credited to your account for returned coins`,
        ref: id,
      });
  });
}

/** Returns the unspent coins of one epoch whose Send-Expired the broker gave. */
export async function returnEpoch(wallet: Wallet, sendExpired: string, now = Date.now()): Promise<EpochReturn> {
  const client = wallet.broker();
  const s = check(wallet.db, client.base, sendExpired);
  const reserved = reserve(wallet.db, s, now);
  if (!reserved) return { epoch: s.epoch, state: 'nothing', balls: 0, creditedMills: 0 };
  const message = encodeRequestCredit({ broker: s.broker, userId: s.userId, epoch: s.epoch, balls: reserved.balls.map(fromHex) });
  let answer: { status: number; body: Record<string, unknown> };
  try {
    answer = await client.credit(s.returnUrl, message);
  } catch (e) {
    if (e instanceof BrokerError)
      return { epoch: s.epoch, state: 'pending', balls: reserved.balls.length, creditedMills: 0, error: e.code };
    throw e;
  }
  const base = { epoch: s.epoch, balls: reserved.balls.length };
  if (answer.status === 200 && Number.isSafeInteger(answer.body.creditedMills)) {
    settle(wallet.db, reserved.id, s.epoch, { state: 'credited', mills: answer.body.creditedMills as number }, Date.now());
    return { ...base, state: 'credited', creditedMills: answer.body.creditedMills as number };
  }
  if (answer.status >= 400 && answer.status < 500) {
    const error = typeof answer.body.error === 'string' ? answer.body.error : `http-${answer.status}`;
    const returnsFrom = typeof answer.body.returnsFrom === 'string' ? answer.body.returnsFrom : undefined;
    settle(wallet.db, reserved.id, s.epoch, { state: 'refused', mills: 0, error, ...(returnsFrom ? { returnsFrom } : {}) }, Date.now());
    return {
      ...base,
      state: error === 'returns_not_open' ? 'not-open' : 'refused',
      creditedMills: 0,
      error,
      ...(returnsFrom ? { returnsFrom } : {}),
    };
  }
  return { ...base, state: 'pending', creditedMills: 0, error: `http-${answer.status}` };
}

/**
 * Returns the unspent coins of every epoch whose returns are open at the broker; epochs not open
 * yet are reported with the date they open.
 * @example
 * for (const r of await returnCoins(wallet)) console.log(r.epoch, r.state, r.creditedMills);
 */
export async function returnCoins(wallet: Wallet): Promise<EpochReturn[]> {
  const out: EpochReturn[] = [];
  for (const w of await wallet.broker().returns()) {
    if (!wallet.db.prepare('SELECT 1 FROM epochs WHERE id = ?').get(w.epoch)) continue;
    if (!w.open || !w.sendExpired) out.push({ epoch: w.epoch, state: 'not-open', balls: 0, creditedMills: 0, returnsFrom: w.returnsFrom });
    else out.push(await returnEpoch(wallet, w.sendExpired));
  }
  return out;
}
