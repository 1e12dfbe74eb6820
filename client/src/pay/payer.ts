/**
 * One payment, from a read 402 to a stored payment ready to go, and the vendor's answer applied to
 * it. Used by `wrapFetch` and by the x402 scheme plugins, so both keep the same promises:
 * - a payment still pending for the same URL, method and vendor (its answer lost, its sender gone)
 *   is sent again as stored, never replaced;
 * - the scheme is chosen by the wallets' one rule (`chooseScheme` of `@micromint/shared`);
 * - the caps are checked in the same IMMEDIATE transaction that spends the coins or reserves the
 *   links and writes the payment, before the request leaves.
 * @module
 */
import { brokerOrigin, chooseScheme, MICROMINT_SCHEME, PAYWORD_SCHEME, usableChain, type ChainWant, type Choice } from '@micromint/shared';
import { BrokerError, InsufficientFundsError, WalletError } from '../errors.ts';
import { checkCaps, type Caps } from '../wallet/caps.ts';
import { chainsOfVendor, heldMillsAcrossChains } from '../wallet/chains.ts';
import { immediate } from '../wallet/db.ts';
import { getMeta } from '../wallet/meta.ts';
import type { Outcome, Settled } from '../wallet/outcome.ts';
import { payLinkTx } from '../wallet/pay-link.ts';
import { claimPending, letGoPayment, paymentById, takePayment, type PaymentRecord } from '../wallet/payments.ts';
import { settleCoinsTx } from '../wallet/settle.ts';
import { settleLinkTx } from '../wallet/settle-link.ts';
import { makeableCoins, spendCoinsTx } from '../wallet/spend.ts';
import type { Wallet } from '../wallet/wallet.ts';
import type { Challenge, Offer } from './challenge.ts';

/** What a payment is for. */
export interface PayTarget {
  /** The URL requested, without fragment. */
  url: string;
  /** The request's method, upper case. */
  method: string;
  /** Coins too many for a header are not payable (the x402 plugins: a stock client sends no body payments). */
  headerOnly?: boolean;
}

/** A payment ready to go. */
export interface Prepared {
  payment: PaymentRecord;
  /** True when it is a pending payment sent again, not a new one. */
  resent: boolean;
}

const want = (o: Offer): ChainWant => ({
  broker: o.broker,
  vendorId: o.vendorId,
  vendorKey: o.link!.vendorKey,
  value: o.link!.value,
  units: o.link!.units,
});

/** Paid requests at `vendorId` in the last day: whether the reader comes back. */
const paidBefore = (w: Wallet, vendorId: string, now: number): number =>
  (
    w.db
      .prepare(`SELECT count(*) AS n FROM payments WHERE vendor_id = ? AND created_at >= ? AND state IN ('pending', 'paid')`)
      .get(vendorId, now - 86_400_000) as {
      n: number;
    }
  ).n;

/** The scheme the wallet pays this challenge with, by the extension's rule. */
export function choose(w: Wallet, c: Challenge, now: number): { choice: Choice; coins?: Offer; chain?: Offer } {
  const coins = c.offers.find((o) => o.scheme === MICROMINT_SCHEME);
  const chain = c.offers.find((o) => o.scheme === PAYWORD_SCHEME);
  const connected = getMeta(w.db, 'walletKeyConnected');
  const choice = chooseScheme({
    ...(coins
      ? {
          coins: {
            mills: coins.mills,
            makeable: makeableCoins(w.db, { epoch: coins.epoch!, broker: coins.broker, vendorId: coins.vendorId, now }, coins.price),
          },
        }
      : {}),
    ...(chain
      ? {
          chain: {
            mills: chain.mills,
            units: chain.link!.units,
            value: chain.link!.value,
            chainFits: usableChain(chainsOfVendor(w.db, chain.vendorId), want(chain), now) !== undefined,
            connected: !!connected && brokerOrigin(connected) === brokerOrigin(chain.broker),
            heldMills: heldMillsAcrossChains(w.db, now),
            methodKnown: true,
          },
        }
      : {}),
    paidBefore: paidBefore(w, c.offers[0]!.vendorId, now),
    policy: w.policy,
  });
  return { choice, ...(coins ? { coins } : {}), ...(chain ? { chain } : {}) };
}

/** Spends for `offer` and writes the payment, the caps checked, in one IMMEDIATE transaction (a pending payment found first is sent instead). */
function spend(w: Wallet, c: Challenge, offer: Offer, t: PayTarget, caps: Caps, now: number): Prepared {
  return immediate(w.db, () => {
    const pending = claimPending(w.db, t.url, t.method, offer.vendorId);
    if (pending) return { payment: pending, resent: true };
    checkCaps(w.db, caps, { host: new URL(t.url).host, mills: offer.mills, now });
    const base = { url: t.url, method: t.method, resourceUrl: c.resourceUrl, requirement: offer.requirement, now };
    const payment =
      offer.scheme === MICROMINT_SCHEME
        ? spendCoinsTx(w.db, {
            ...base,
            vendorId: offer.vendorId,
            broker: offer.broker,
            epoch: offer.epoch!,
            price: offer.price,
            ...(t.headerOnly ? { headerOnly: true } : {}),
          })
        : payLinkTx(w.db, { ...base, want: want(offer) });
    takePayment(w.db, payment.id);
    return { payment, resent: false };
  });
}

/**
 * Prepares the payment of a 402 for `target`: the pending one, or a new one of the chosen scheme
 * (opening a chain first when the rule says so; coins when that fails and coins can pay).
 * @throws CapExceededError, InsufficientFundsError, UnpayableError, WalletError, BrokerError: nothing spent.
 * @example
 * const { payment } = await preparePayment(wallet, challenge, { url, method: 'GET' }, wallet.caps);
 */
export async function preparePayment(w: Wallet, c: Challenge, t: PayTarget, caps: Caps, now = Date.now()): Promise<Prepared> {
  const vendorId = c.offers[0]!.vendorId;
  const pending = immediate(w.db, () => claimPending(w.db, t.url, t.method, vendorId));
  if (pending) return { payment: pending, resent: true };
  const { choice, coins, chain } = choose(w, c, now);
  if (choice.scheme === 'none') throw new InsufficientFundsError(chain!.mills, 0, `no chain can be opened (${choice.reason})`);
  if (choice.scheme === 'micromint') return spend(w, c, coins!, t, caps, now);
  // A chain is never opened for a payment a cap refuses.
  immediate(w.db, () => checkCaps(w.db, caps, { host: new URL(t.url).host, mills: chain!.mills, now }));
  if (choice.action === 'open') {
    try {
      await w.chains.ensure({ ...want(chain!), length: choice.length }, now);
    } catch (e) {
      const canCoins =
        coins && makeableCoins(w.db, { epoch: coins.epoch!, broker: coins.broker, vendorId, now }, coins.price) >= coins.price;
      if (canCoins && (e instanceof WalletError || e instanceof BrokerError)) return spend(w, c, coins, t, caps, now);
      throw e;
    }
  }
  return spend(w, c, chain!, t, caps, now);
}

/**
 * Applies the vendor's answer to a payment, in one transaction, and lets go of it unless it is to
 * be sent again at once (`resend`: a chain the vendor did not know, now with its commitment).
 */
export function settlePayment(
  w: Wallet,
  payment: PaymentRecord,
  outcome: Outcome,
  now = Date.now(),
): { settled: Settled; payment: PaymentRecord } {
  const settled = immediate(w.db, () => {
    const p = paymentById(w.db, payment.id)!;
    return p.scheme === MICROMINT_SCHEME ? settleCoinsTx(w.db, p, outcome, now) : settleLinkTx(w.db, p, outcome, now);
  });
  if (settled !== 'resend') letGoPayment(w.db, payment.id);
  return { settled, payment: paymentById(w.db, payment.id)! };
}

/** The sender gave up on a payment without an answer (a network error): it stays pending for a later resend. */
export const abandonPayment = (w: Wallet, payment: PaymentRecord): void => letGoPayment(w.db, payment.id);
