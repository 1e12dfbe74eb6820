/**
 * The step both wallet flows share: the navigation flow (payment-flow.ts) and the page fetch()
 * flow (fetch-flow.ts) each see a 402 their own way and deliver a payment their own way (a DNR
 * rule and a navigation, a header handed to the page's fetch, a POST body), but in between they
 * do the same things, here, once:
 *
 * 1. read the seen PAYMENT-REQUIRED and check it may be paid at all ({@link PaymentStep.read});
 * 2. a payment still pending for the URL is sent again byte for byte; else choose the scheme
 *    (choose-scheme.ts: a link of an open chain, a new chain, or coins), count what it can pay this
 *    vendor, apply the autopay threshold in mills, and ask the user when the price is above it or
 *    the vendor refused the last payment for the URL ({@link PaymentStep.next});
 * 3. pay (one wallet transaction, in the scheme's handler; a chain that cannot be opened falls back
 *    to coins when the site takes them);
 * 4. apply the vendor's answer, read from the network, through the payment's scheme
 *    ({@link PaymentStep.settle}).
 * @module
 */
import { MICROMINT_SCHEME, PAYWORD_SCHEME } from '@micromint/shared';
import type { PageVerdict } from '../messages.ts';
import {
  BudgetExceededError,
  InsufficientFundsError,
  LinkPaymentError,
  markSent,
  pendingIn,
  type BudgetAllow,
  type BudgetOver,
  type PaymentRecord,
  type WalletDb,
} from '../wallet/index.ts';
import { chainNotice } from './chain-notice.ts';
import { assertPayable, ChallengeError, parseChallenge, type Challenge } from './challenges.ts';
import { chooseScheme, type ChoiceInput } from './choose-scheme.ts';
import { decide } from './decide.ts';
import { ChainOpenError } from './payword-broker.ts';
import type { RetryOutcome } from './receipts.ts';
import type { ChosenOffer, SchemeRegistry } from './schemes/registry.ts';
import type { Funds, SchemeContext } from './schemes/types.ts';
import { buyPage, type SettingsStore } from './settings.ts';
import { StepFacts } from './step-facts.ts';

/** The verdict that asks the user. */
export type ConfirmVerdict = Extract<PageVerdict, { action: 'confirm' }>;
/** The verdict for a wallet that cannot pay the vendor (coins short, no chain to be had). */
export type InsufficientVerdict = Extract<PageVerdict, { action: 'insufficient' }>;

/** After a refusal of a payment for a URL, the wallet asks before paying that URL again for this long. */
export const ASK_AFTER_REFUSAL_MS = 10 * 60 * 1000;

/** What the step needs. */
export interface StepDeps {
  db: WalletDb;
  settings: SettingsStore;
  schemes: SchemeRegistry;
  now?: () => number;
  log?: (message: string) => void;
}

/** How a flow asks for the next step. */
export interface StepOptions {
  /** The page is one of the broker's (echoed in verdicts for the content script). */
  onBrokerPage: boolean;
  /** The user said yes to the prompt for this challenge. */
  confirmed: boolean;
  /** False when the flow's own limit forbids paying without asking (fetch: a rate per origin). */
  autopayAllowed?: boolean;
  /**
   * The method of the request the payment will go on, upper case: `GET` for a navigation. A link's
   * MAC binds it, so without it (a fetch whose method the worker did not see) no link is paid.
   */
  method?: string;
  /** With `confirmed`: the reader's "allow up to", set in the payment's transaction (budgets). */
  allow?: BudgetAllow;
}

/** What to do about a payable challenge. */
export type StepResult =
  /** Deliver this payment: a new one, or (`resent`) one still pending for the URL. `silent`: paid without asking. */
  | { kind: 'send'; payment: PaymentRecord; resent: boolean; silent: boolean }
  /** Tell the page: ask the user, or not enough funds. */
  | { kind: 'verdict'; verdict: ConfirmVerdict | InsufficientVerdict };

/** A seen PAYMENT-REQUIRED, as either flow keeps it. */
export interface SeenTerms {
  header: string;
  url: string;
  seenAt: number;
}

/**
 * The insufficient-funds verdict for a challenge (in mills). `reason` and `code` say why a site
 * that takes chains could not be paid with one.
 */
export const insufficient = (
  broker: boolean,
  challenge: Pick<Challenge, 'quote'>,
  funds: { held: number; makeable: number },
  why?: { code: string; reason: string; scheme?: string },
): InsufficientVerdict => ({
  action: 'insufficient',
  broker,
  price: challenge.quote.mills,
  vendorId: challenge.quote.vendorId,
  held: funds.held,
  makeable: funds.makeable,
  ...(why ? { code: why.code, reason: why.reason, ...(why.scheme ? { scheme: why.scheme } : {}) } : {}),
});

/** An offer with what the wallet can pay of it, and, for a chain, whether one is to be opened first. */
interface Plan {
  offer: ChosenOffer;
  funds: Funds;
  openChain?: { length: number };
}

/**
 * What a payment in coins made without asking is planned with: enough coins. The payment's own
 * transaction counts them (and says when they are short), so they need not be counted before.
 */
const ENOUGH_COINS: Funds = Object.freeze({ held: Number.MAX_SAFE_INTEGER, makeable: Number.MAX_SAFE_INTEGER });

/** The shared step. Stateless: every flow may hold its own. */
export class PaymentStep {
  private readonly now: () => number;
  private readonly log: (message: string) => void;

  constructor(private readonly deps: StepDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  /**
   * Parses a seen challenge for tab `tabId` and checks it may be paid; a {@link ChallengeError}
   * becomes `{ refuse }` with a message fit for the user.
   * @example
   * const c = step.read({ header, url, seenAt }, tabId);
   * if ('refuse' in c) return { action: 'refuse', broker, message: c.refuse };
   */
  read(seen: SeenTerms, tabId: number): Challenge | { refuse: string } {
    try {
      const challenge = parseChallenge(seen.header, seen.url, tabId, this.deps.schemes, seen.seenAt);
      assertPayable(challenge);
      return challenge;
    } catch (e) {
      if (!(e instanceof ChallengeError)) throw e;
      this.log(`not paying ${seen.url}: ${e.message}`);
      return { refuse: e.message };
    }
  }

  /**
   * The next step for a payable challenge: resend what is pending, pay, ask, or say the funds are
   * short. Spends (in one wallet transaction) only when it returns a new `send`.
   */
  async next(challenge: Challenge, o: StepOptions): Promise<StepResult> {
    const facts = await StepFacts.read(this.deps.db, challenge, () => this.context());
    const { ctx } = facts;
    const pending = pendingIn(facts.pending, challenge.url, challenge.quote.vendorId);
    if (pending) return { kind: 'send', payment: pending, resent: true, silent: false };
    // A payment the reader approved reads the budgets for its price while the scheme is chosen;
    // one made without asking is checked by its own transaction (see payWith).
    if (o.confirmed) void facts.over(challenge.quote.mills);
    // First as if the coins were enough: a payment made without asking needs no count of them
    // first. Anything else (a question, coins short) is decided again on the coins counted.
    const result = (await this.attempt(challenge, facts, o, true)) ?? (await this.attempt(challenge, facts, o, false))!;
    // Funds short: the notice says where more coins are bought.
    if (result.kind === 'verdict' && result.verdict.action === 'insufficient')
      return { kind: 'verdict', verdict: { ...result.verdict, buyAt: buyPage(ctx.settings.brokerUrl) } };
    return result;
  }

  /** Notes that a payment is about to go out (again): both flows call it just before delivering. */
  sent(payment: PaymentRecord): Promise<PaymentRecord> {
    return markSent(this.deps.db, payment.id);
  }

  /** Applies the vendor's answer to a payment through its scheme: paid, refused, given back, or still pending. */
  async settle(paymentId: string, outcome: RetryOutcome): Promise<void> {
    if (outcome.kind === 'unsettled') {
      this.log(`payment ${paymentId} stays pending: ${outcome.why}`);
      return;
    }
    const payment = await this.deps.db.get('payments', paymentId);
    const handler = payment && this.deps.schemes.get(payment.scheme);
    if (!payment || !handler) {
      this.log(`an answer for payment ${paymentId} (${payment?.scheme ?? 'unknown'}) has nothing to settle`);
      return;
    }
    await handler.settle(await this.context(), payment, outcome);
  }

  /** Mills the wallet holds across its schemes (coins and open chains). */
  async balanceMills(ctx: SchemeContext): Promise<number> {
    let total = 0;
    for (const handler of this.deps.schemes.values()) total += await handler.balance(ctx);
    return total;
  }

  private async context(): Promise<SchemeContext> {
    return { db: this.deps.db, settings: await this.deps.settings.get(), now: this.now(), log: this.log };
  }

  /**
   * Plans and pays. With `enoughCoins`, coins are taken to be enough and only a payment made
   * without asking comes back (undefined otherwise: decide again with the coins counted).
   */
  private async attempt(challenge: Challenge, facts: StepFacts, o: StepOptions, enoughCoins: boolean): Promise<StepResult | undefined> {
    const plan = await this.plan(challenge, facts, o, enoughCoins);
    if ('action' in plan) return enoughCoins ? undefined : { kind: 'verdict', verdict: plan };
    return this.payWith(challenge, plan, facts, o, enoughCoins);
  }

  /** Chooses the scheme (choose-scheme.ts) from what each offer's handler holds and the reader's policy. */
  private async plan(challenge: Challenge, facts: StepFacts, o: StepOptions, enoughCoins: boolean): Promise<Plan | InsufficientVerdict> {
    const { ctx } = facts;
    const { offers } = challenge;
    const chain = offers.find((x) => x.handler.scheme === PAYWORD_SCHEME);
    const fundsOf = (offer: ChosenOffer) =>
      enoughCoins && offer.handler.scheme === MICROMINT_SCHEME ? Promise.resolve(ENOUGH_COINS) : facts.funds(offer);
    // Every offer's funds and the site's paid pages, read together.
    const [held, paidPages] = await Promise.all([Promise.all(offers.map(fundsOf)), chain ? facts.paidPages() : 0]);
    const funds = new Map<ChosenOffer, Funds>(offers.map((offer, i) => [offer, held[i]!]));
    const coins = offers.find((x) => x.handler.scheme === MICROMINT_SCHEME);
    if (!coins && !chain) return { offer: offers[0]!, funds: funds.get(offers[0]!)! };
    const chainFunds = chain && funds.get(chain)!;
    const input: ChoiceInput = {
      ...(coins ? { coins: { mills: coins.quote.mills, makeable: funds.get(coins)!.makeable } } : {}),
      ...(chain && chainFunds
        ? {
            chain: {
              mills: chain.quote.mills,
              units: chain.quote.link!.units,
              value: chain.quote.link!.value,
              chainFits: chainFunds.makeable >= chain.quote.mills,
              connected: chainFunds.chain?.connected ?? false,
              heldMills: chainFunds.chain?.heldMills ?? 0,
              ...(chainFunds.chain?.maxLength !== undefined ? { maxLength: chainFunds.chain.maxLength } : {}),
              methodKnown: o.method !== undefined,
            },
          }
        : {}),
      paidPages,
      settings: ctx.settings,
    };
    const choice = chooseScheme(input);
    if (choice.scheme === 'none')
      return insufficient(o.onBrokerPage, chain!, chainFunds!, {
        code: choice.reason,
        reason: chainNotice(choice.reason),
        scheme: PAYWORD_SCHEME,
      });
    if (choice.scheme === 'micromint') return { offer: coins!, funds: funds.get(coins!)! };
    if (choice.action === 'link') return { offer: chain!, funds: chainFunds! };
    // A chain to open: what it will hold is what it can pay (the broker holds it, or says why not).
    const opened = choice.length * chain!.quote.link!.value;
    return { offer: chain!, funds: { held: opened, makeable: opened }, openChain: { length: choice.length } };
  }

  /**
   * Applies the threshold and the budgets to the chosen offer, asks or pays; a chain that cannot be
   * had falls back to coins. A payment made without asking is charged to the budgets with
   * `enforce`: if another tab took the budget's last room in the meantime, the payment's own
   * transaction refuses it and the reader is asked after all.
   */
  private async payWith(
    challenge: Challenge,
    plan: Plan,
    facts: StepFacts,
    o: StepOptions,
    enoughCoins = false,
  ): Promise<StepResult | undefined> {
    const { offer } = plan;
    const { quote } = offer;
    const { ctx } = facts;
    // First attempt, without asking: the budgets are not read first. The payment's transaction
    // checks them, and past one refuses it (nothing written), and the step decides again with them
    // read, to ask. A chain to open is not opened for a payment a budget will refuse.
    const checkedByPayment = enoughCoins && !o.confirmed && !plan.openChain;
    const over = checkedByPayment ? undefined : await facts.over(quote.mills);
    const decision = decide(quote.mills, ctx.settings.autopayThreshold, plan.funds, over);
    if (decision.kind === 'insufficient')
      return enoughCoins ? undefined : { kind: 'verdict', verdict: insufficient(o.onBrokerPage, offer, decision) };
    // After a refusal the wallet asks instead of paying again on its own: no loops.
    const refusal = challenge.error ?? (await this.recentRefusal(challenge, facts.refused, ctx.now));
    const silent = decision.kind === 'autopay' && !refusal && o.autopayAllowed !== false;
    if (!silent && !o.confirmed)
      return enoughCoins ? undefined : { kind: 'verdict', verdict: await this.ask(quote, ctx, o, refusal, over) };
    let payment: PaymentRecord;
    try {
      payment = await offer.handler.pay(ctx, {
        url: challenge.url,
        resourceUrl: challenge.resourceUrl,
        requirement: offer.requirement,
        quote,
        method: o.method ?? 'GET',
        ...(plan.openChain ? { openChain: plan.openChain } : {}),
        budget: { enforce: !o.confirmed, ...(o.confirmed && o.allow ? { allow: o.allow } : {}) },
      });
    } catch (e) {
      if (enoughCoins && (e instanceof BudgetExceededError || e instanceof InsufficientFundsError)) return undefined;
      if (e instanceof BudgetExceededError) return { kind: 'verdict', verdict: await this.ask(quote, ctx, o, refusal, e.over) };
      if (e instanceof InsufficientFundsError) return { kind: 'verdict', verdict: insufficient(o.onBrokerPage, offer, e) };
      if (!(e instanceof ChainOpenError || e instanceof LinkPaymentError)) throw e;
      this.log(`no chain pays ${challenge.url}: ${e.code} (${e.message})`);
      const coins = challenge.offers.find((x) => x.handler.scheme === MICROMINT_SCHEME);
      if (coins && offer !== coins) return this.payWith(challenge, { offer: coins, funds: await facts.funds(coins) }, facts, o);
      return {
        kind: 'verdict',
        verdict: insufficient(
          o.onBrokerPage,
          offer,
          { held: 0, makeable: 0 },
          { code: e.code, reason: chainNotice(e.code, e.message), scheme: quote.scheme },
        ),
      };
    }
    // A payment for the URL that another tab or call recorded in the meantime comes back as is.
    return { kind: 'send', payment, resent: payment.attempts > 0, silent };
  }

  /** The prompt's verdict for a quote: the price, the threshold, what the wallet holds, and why it asks. */
  private async ask(
    quote: ChosenOffer['quote'],
    ctx: SchemeContext,
    o: StepOptions,
    refusal?: string,
    over?: BudgetOver,
  ): Promise<ConfirmVerdict> {
    return {
      action: 'confirm',
      broker: o.onBrokerPage,
      price: quote.mills,
      vendorId: quote.vendorId,
      threshold: ctx.settings.autopayThreshold,
      balance: await this.balanceMills(ctx),
      ...(refusal ? { refusal } : {}),
      ...(quote.scheme !== MICROMINT_SCHEME ? { scheme: quote.scheme } : {}),
      ...(over ? { budget: over } : {}),
    };
  }

  /**
   * The vendor's reason when it refused the newest payment for this URL a short while ago. Only
   * when one of the wallet's `refused` payments is such a refusal are the URL's payments read, to
   * know whether a later one followed it.
   */
  private async recentRefusal(challenge: Challenge, refused: readonly PaymentRecord[], now: number): Promise<string | undefined> {
    const mine = (p: PaymentRecord) => p.url === challenge.url && p.vendorId === challenge.quote.vendorId;
    if (!refused.some((p) => mine(p) && now - p.updatedAt <= ASK_AFTER_REFUSAL_MS)) return undefined;
    const payments = await this.deps.db.getAllFromIndex('payments', 'by-url', challenge.url);
    const newest = payments.filter(mine).sort((a, b) => b.createdAt - a.createdAt)[0];
    if (newest?.state !== 'refused' || now - newest.updatedAt > ASK_AFTER_REFUSAL_MS) return undefined;
    return newest.error ?? 'refused';
  }
}
