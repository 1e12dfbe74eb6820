/**
 * Paying with a chain: reserving the next range of links and recording the payment that reveals
 * it, in ONE IndexedDB transaction that commits before the link can leave the wallet.
 *
 * A revealed link w_j gives away every link below it, so the one rule is that no index is ever
 * revealed for two requests. The transaction that writes the pending payment (with its exact
 * PAYMENT-SIGNATURE) is the one that moves the chain's next index past j: after a crash either
 * both are there (the payment is resent byte for byte, never rebuilt) or neither is (nothing was
 * sent). Two payments at once, from two tabs, run one after the other (IndexedDB serializes
 * readwrite transactions on a store) and each gets its own range; the vendor tracks ranges, so
 * both are paid whichever arrives first.
 * @module
 */
import {
  aint,
  astring,
  encodeHeader,
  linkPayload,
  MAX_CHAIN_LENGTH,
  formatMoney,
  MAX_MAC_URL,
  PAYWORD_SCHEME,
  utf8,
  withCommitment,
  type PaymentPayload,
  type PaymentRequirements,
} from '@micromint/shared';
import { readForCharge, startCharge } from './budgets.ts';
import { usableChain, type ChainWant } from './chains.ts';
import type { WalletDb } from './db.ts';
import { LinkPaymentError } from './errors.ts';
import type { ChainRecord, PaymentRecord } from './schema.ts';
import { headerTooLarge, newestPending, type BudgetTerms } from './spend.ts';
import { abortQuietly } from './tx.ts';

/** What to pay with a link: a vendor's payword terms for one request. */
export interface LinkPayRequest {
  /** The URL as the browser requests it (no fragment). */
  url: string;
  /** The challenge's `resource.url`: what the MAC binds and the payload names (defaults to `url`). */
  resourceUrl?: string;
  /** The request's method, upper case: what the MAC binds (a navigation is `GET`). */
  method: string;
  /** The vendor's terms and the links this price costs. */
  want: ChainWant;
  /** The `accepts` entry being paid, echoed as `accepted`. */
  requirement: PaymentRequirements;
  /** The budgets (budgets.ts): `enforce` for a payment made without asking; `allow`, the reader's "allow up to". */
  budget?: BudgetTerms;
  now?: number;
}

/** The PAYMENT-SIGNATURE value revealing link j of `chain` for one request (shared's `linkPayload`). */
function linkHeader(
  chain: ChainRecord,
  r: { index: number; units: number; method: string; resourceUrl: string; requirement: PaymentRequirements; withCommitment: boolean },
): string {
  return encodeHeader(linkPayload(chain, r));
}

/**
 * Reserves `want.units` links of the best open chain for the vendor and writes the pending payment
 * that reveals them, in one readwrite transaction: j = next - 1 + units is revealed, the chain's
 * next index becomes j + 1 (`exhausted` once past its length), the payment carries the commitment
 * and authorization while the vendor has not been seen to know the chain. A payment still pending
 * for the same URL and vendor is returned instead, unchanged (it is to be resent byte for byte).
 * Link, MAC and header are computed between the read and the writes, synchronously, so the
 * transaction cannot commit half-way. The same transaction charges the budgets (budgets.ts): with
 * `budget.enforce` a payment that would pass one throws `BudgetExceededError` and reveals nothing.
 * @throws LinkPaymentError `no-chain` when no open chain fits (nothing written), `unpayable` when
 *   the URL or method is beyond what the MAC binds or the header would be over the vendors' limit.
 * @example
 * const payment = await payLink(db, { url, method: 'GET', want: { broker, vendorId, vendorKey, value: 1, units: 2 }, requirement });
 * // send payment.header as PAYMENT-SIGNATURE
 */
export async function payLink(db: WalletDb, req: LinkPayRequest): Promise<PaymentRecord> {
  astring(req.url, 'url', 8192);
  aint(req.want.units, 1, MAX_CHAIN_LENGTH, 'units');
  const resourceUrl = req.resourceUrl ?? req.url;
  const method = req.method.toUpperCase();
  if (!/^[A-Z]{1,32}$/.test(method)) throw new LinkPaymentError('unpayable', `cannot bind the method ${JSON.stringify(req.method)}`);
  if (utf8(resourceUrl).length > MAX_MAC_URL) throw new LinkPaymentError('unpayable', `a link binds URLs of at most ${MAX_MAC_URL} bytes`);
  const now = req.now ?? Date.now();
  const tx = db.transaction(['payments', 'chains', 'history', 'budgets', 'spending'], 'readwrite');
  try {
    const enforce = req.budget?.enforce === true;
    // Every read goes out at once: pending payments, chains, budgets (an "allow up to" is set first, and read after).
    const budgetReads = req.budget?.allow ? undefined : readForCharge(tx, { site: req.want.vendorId, now, enforce });
    const [pendingNow, chains] = await Promise.all([
      tx.objectStore('payments').index('by-url').getAll(req.url),
      tx.objectStore('chains').index('by-vendor').getAll(req.want.vendorId),
    ]);
    const pending = newestPending(pendingNow, req.want.vendorId);
    if (pending) {
      await tx.done;
      return pending;
    }
    const chain = usableChain(chains, req.want, now);
    if (!chain)
      throw new LinkPaymentError(
        'no-chain',
        `no open chain holds ${req.want.units} links of ${formatMoney(req.want.value)} for ${req.want.vendorId}`,
      );
    const index = chain.next - 1 + req.want.units;
    const withCommitment = !chain.sentCommitment;
    const header = linkHeader(chain, { index, units: req.want.units, method, resourceUrl, requirement: req.requirement, withCommitment });
    if (headerTooLarge(header)) throw new LinkPaymentError('unpayable', 'the payment would be longer than a vendor takes in a header');
    const price = req.want.units * chain.value;
    // Checked here; its writes go out with the link's below.
    const charged = await startCharge(tx, { site: req.want.vendorId, mills: price, now, enforce, allow: req.budget?.allow }, budgetReads);
    const payment: PaymentRecord = {
      id: crypto.randomUUID(),
      url: req.url,
      vendorId: req.want.vendorId,
      broker: chain.broker,
      epoch: '',
      scheme: PAYWORD_SCHEME,
      price,
      coinIds: [],
      link: { chainId: chain.id, index, units: req.want.units, method, withCommitment },
      header,
      state: 'pending',
      reasons: [],
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    const reserved: ChainRecord = { ...chain, next: index + 1, status: index >= chain.length ? 'exhausted' : 'open', updatedAt: now };
    await Promise.all([
      charged.written,
      tx.objectStore('chains').put(reserved),
      tx.objectStore('payments').add(payment),
      tx.objectStore('history').add({
        at: now,
        kind: 'spend',
        coins: 0,
        detail: `links ${index - req.want.units + 1}..${index} of chain ${chain.id.slice(0, 12)}… (${formatMoney(price)}) for ${req.url}`,
        ref: payment.id,
      }),
    ]);
    await tx.done;
    return payment;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/**
 * The same payment (same index, link and MAC: the payload as sent) with the commitment and the
 * authorization added: what the wallet sends, once, after a vendor answered `unknown-chain`.
 * @throws RangeError when the chain has no authorization.
 */
export function addCommitment(sent: PaymentPayload, chain: Pick<ChainRecord, 'commitment' | 'authorization'>): string {
  return encodeHeader(withCommitment(sent, chain));
}
