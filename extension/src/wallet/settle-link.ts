/**
 * What the vendor's answer to a `payword` payment does to the wallet, in one transaction over the
 * payment and its chain.
 *
 * The rule behind every case: the payment's range was revealed (it left the wallet), so it is never
 * revealed for another request, whatever the answer says; a refusal only decides whether the same
 * payment may go out again and how far the chain's next index moves.
 *
 * | answer | payment | chain |
 * |---|---|---|
 * | receipt (`extensions.payword`) | paid | the vendor knows it: later payments leave the commitment out |
 * | `unknown-chain`, sent without the commitment | stays pending, its header now carries commitment and authorization (same index, link and MAC), resent once | commitment sent again until a receipt |
 * | `already-spent` | refused | next index above max(j, `highestIndex`) |
 * | `expired` | refused | expired |
 * | a refusal that condemns the chain (its key, broker or vendor, gaps, bad link) | refused | closed |
 * | any other refusal | refused | unchanged (the range stays burned) |
 * | `no_payment_required` / `not_served` | released | unchanged (a revealed link cannot be un-revealed) |
 *
 * What a refusal does to the chain is the wallets' shared rule (`chainAfterRefusal` of `@micromint/shared`).
 * @module
 */
import { chainAfterRefusal, decodePaymentPayload, formatMoney, linkRangeText } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import { WalletError } from './errors.ts';
import { addCommitment } from './pay-link.ts';
import type { ChainRecord, PaymentRecord } from './schema.ts';
import { abortQuietly } from './tx.ts';

/** The vendor's answer to a link payment, as the worker read it off the network. */
export type LinkAnswer =
  | { kind: 'paid'; transaction?: string }
  /** `chainId` and `highestIndex` from the refusal's `extensions.payword`, when it had them (checked by the reader). */
  | { kind: 'refused'; error: string; chainId?: string; highestIndex?: number }
  | { kind: 'released'; reason: string };

/** What settling did. `resend`: the payment stays pending with the commitment added, to go out again. */
export type LinkSettled = 'paid' | 'resend' | 'refused' | 'released' | 'unchanged';

/**
 * Applies the vendor's answer to a pending link payment and its chain in one transaction (see the
 * module table). A payment that is no longer pending is left as it is (`unchanged`).
 * @throws WalletError `unknown-payment` when there is no such payment.
 * @example
 * await settleLinkPayment(db, payment.id, { kind: 'refused', error: 'already-spent', highestIndex: 7 });
 */
export async function settleLinkPayment(
  db: WalletDb,
  id: string,
  answer: LinkAnswer,
  now = Date.now(),
): Promise<{ payment: PaymentRecord; settled: LinkSettled }> {
  const tx = db.transaction(['payments', 'chains', 'history'], 'readwrite');
  try {
    const payments = tx.objectStore('payments');
    const chains = tx.objectStore('chains');
    const history = tx.objectStore('history');
    const p = await payments.get(id);
    if (!p) throw new WalletError('unknown-payment', `no payment ${id}`);
    if (p.state !== 'pending' || !p.link) {
      await tx.done;
      return { payment: p, settled: 'unchanged' };
    }
    const link = p.link;
    const chain = await chains.get(link.chainId);
    const range = linkRangeText(link);
    let next: PaymentRecord;
    let settled: LinkSettled;
    let chainNext: ChainRecord | undefined;
    if (answer.kind === 'paid') {
      next = { ...p, state: 'paid', updatedAt: now, ...(answer.transaction ? { transaction: answer.transaction } : {}) };
      if (chain && !chain.sentCommitment) chainNext = { ...chain, sentCommitment: true };
      settled = 'paid';
      await history.add({ at: now, kind: 'paid', coins: 0, detail: `paid ${formatMoney(p.price)} (${range}) for ${p.url}`, ref: id });
    } else if (answer.kind === 'released') {
      next = { ...p, state: 'released', error: answer.reason, updatedAt: now };
      settled = 'released';
      await history.add({
        at: now,
        kind: 'released',
        coins: 0,
        detail: `${p.url} served without payment (${answer.reason}); ${range} stay used`,
        ref: id,
      });
    } else if (answer.error === 'unknown-chain' && !link.withCommitment && chain?.authorization) {
      // The vendor lost the chain (a restart, another instance): the same payment once more, with the commitment.
      next = {
        ...p,
        header: addCommitment(decodePaymentPayload(p.header), chain),
        link: { ...link, withCommitment: true, resentWithCommitment: true },
        updatedAt: now,
      };
      chainNext = { ...chain, sentCommitment: false };
      settled = 'resend';
      await history.add({
        at: now,
        kind: 'resend',
        coins: 0,
        detail: `${p.url}: the vendor does not know chain ${link.chainId.slice(0, 12)}…; the same payment goes again with its commitment`,
        ref: id,
      });
    } else {
      next = { ...p, state: 'refused', error: answer.error, updatedAt: now };
      settled = 'refused';
      const change = chain && chainAfterRefusal(chain, link, answer);
      if (chain && change) chainNext = { ...chain, ...change };
      await history.add({ at: now, kind: 'refused', coins: 0, detail: `${p.url} refused (${answer.error}); ${range} stay used`, ref: id });
    }
    await payments.put(next);
    if (chainNext) await chains.put({ ...chainNext, updatedAt: now });
    await tx.done;
    return { payment: next, settled };
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}
