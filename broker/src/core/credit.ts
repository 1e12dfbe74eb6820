/**
 * Request-Credit: a wallet returns unspent balls of its sets' first superbins; each one credits its
 * buyer one mill and can never be spent afterwards (a later redemption of it is a recorded double spend).
 * Returns open only at the epoch's `returnsFrom`, after vendors' redemption period (see timeline.ts).
 * @module
 */
import { MessageError, decodeRequestCredit, slotOfBall, toHex, type RefusalReason } from '@micromint/shared';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { safeEqualBytes } from './ids.ts';
import { assertReturnsOpen, epochTimeline } from './timeline.ts';

/** The answer to a Request-Credit. */
export interface CreditAnswer {
  /** Balls credited now. */
  credited: number;
  creditedMills: number;
  /** Balls this user had returned before: not credited again (a retried request changes nothing). */
  alreadyReturned: number;
  /** Balls that cannot be returned, with the reason (hex of the ball). */
  refused: { ball: string; reason: RefusalReason }[];
}

/**
 * Handles a Request-Credit message in one transaction. Checks, in order: the message decodes (400
 * `invalid_message`), names this broker (422 `wrong_broker`), its epoch exists (422 `unknown_epoch`), returns
 * of that epoch are open (409 `returns_not_open` with `returnsFrom`; nothing changes), the user exists
 * (422 `unknown_user`); then each ball on its own. The clock is read inside the write lock, so a return
 * and a redemption are ordered by the same clock that decides which of them is open.
 * @example
 * const answer = await requestCredit(ctx, encodeRequestCredit({ broker, userId, epoch: '2026-11', balls }));
 */
export async function requestCredit(ctx: BrokerContext, text: string): Promise<CreditAnswer> {
  let msg;
  try {
    msg = decodeRequestCredit(text);
  } catch (e) {
    if (e instanceof MessageError) throw new BrokerError(400, 'invalid_message', e.message);
    throw e;
  }
  if (msg.broker.replace(/\/+$/, '') !== ctx.publicUrl)
    throw new BrokerError(422, 'wrong_broker', `this broker is ${ctx.publicUrl}, the message names ${msg.broker}`);
  const { store } = ctx;
  // An epoch's parameters and pinned timeline never change: read before the write lock.
  const epoch = await store.epochs.get(msg.epoch);
  if (!epoch) throw new BrokerError(422, 'unknown_epoch', `no epoch ${msg.epoch}`);
  const timeline = await epochTimeline(ctx, epoch);
  const p = epoch.params;
  return store.transaction(async () => {
    const now = ctx.now();
    assertReturnsOpen(timeline, p.id, now);
    if (!(await store.accounts.userById(msg.userId))) throw new BrokerError(422, 'unknown_user', `no user ${msg.userId}`);
    const at = now.toISOString();
    const answer: CreditAnswer = { credited: 0, creditedMills: 0, alreadyReturned: 0, refused: [] };
    for (const ball of msg.balls) {
      const refuse = (reason: RefusalReason) => answer.refused.push({ ball: toHex(ball), reason });
      const slot = slotOfBall(p, ball);
      if (!slot.fixedOk) {
        refuse('fixed-bits');
        continue;
      }
      const minted = await store.epochs.ballAt(p.id, slot.superbin, slot.subbin);
      if (!minted || !safeEqualBytes(minted.x, ball) || minted.status === 'compromised') {
        refuse('forged');
        continue;
      }
      // Only balls of a set's FIRST superbin are coins (the double-spending identity); only its buyer is credited.
      const owner = await store.sets.superbinOwner(p.id, slot.superbin);
      if (!owner || owner.position !== 0 || owner.userId !== msg.userId) {
        refuse('not-sold');
        continue;
      }
      if (minted.status === 'sold') {
        await store.epochs.setStatus(p.id, slot.superbin, slot.subbin, 'returned');
        await store.credits.insert(p.id, slot.superbin, slot.subbin, msg.userId, owner.setId, at);
        answer.credited++;
      } else if (minted.status === 'returned' && (await store.credits.returnedBy(p.id, slot.superbin, slot.subbin)) === msg.userId) {
        answer.alreadyReturned++;
      } else {
        refuse(minted.status === 'redeemed' ? 'already-spent' : 'returned');
      }
    }
    answer.creditedMills = answer.credited;
    if (answer.credited > 0)
      await store.accounts.post(
        'user',
        msg.userId,
        answer.credited,
        'return-credit',
        p.id,
        `Returned ${answer.credited} unspent coin(s) of epoch ${p.id}`,
        at,
      );
    return answer;
  });
}
