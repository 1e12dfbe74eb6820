/**
 * What one payment step (pay-step.ts) reads before it decides, each thing once, the independent
 * reads together: the settings, the wallet's pending payments (one for the URL is resent) and its
 * refused ones (a recent refusal of the URL makes the wallet ask), both few where the payments of
 * a URL read often grow with every read; then, as the step asks, what each offer's scheme holds,
 * the site's paid pages and the budgets for a price.
 * @module
 */
import { paidPagesSince, VISIT_WINDOW_MS, budgetOver, type BudgetOver, type PaymentRecord, type WalletDb } from '../wallet/index.ts';
import type { Challenge } from './challenges.ts';
import type { ChosenOffer } from './schemes/registry.ts';
import type { Funds, SchemeContext } from './schemes/types.ts';

/** Runs `read` once; later calls get the same promise (a read nobody awaits fails quietly). */
function once<K, V>(cache: Map<K, Promise<V>>, key: K, read: () => Promise<V>): Promise<V> {
  let hit = cache.get(key);
  if (!hit) {
    hit = read();
    hit.catch(() => undefined);
    cache.set(key, hit);
  }
  return hit;
}

/** The facts of one step, for one challenge. */
export class StepFacts {
  private readonly funded = new Map<ChosenOffer, Promise<Funds>>();
  private readonly overs = new Map<number, Promise<BudgetOver | undefined>>();
  private readonly pages = new Map<string, Promise<number>>();

  private constructor(
    readonly ctx: SchemeContext,
    readonly pending: readonly PaymentRecord[],
    readonly refused: readonly PaymentRecord[],
    private readonly challenge: Challenge,
  ) {}

  /**
   * Reads the first facts of a step, together.
   * @example
   * const facts = await StepFacts.read(db, challenge, () => this.context());
   */
  static async read(db: WalletDb, challenge: Challenge, context: () => Promise<SchemeContext>): Promise<StepFacts> {
    const [ctx, pending, refused] = await Promise.all([
      context(),
      db.getAllFromIndex('payments', 'by-state', 'pending'),
      db.getAllFromIndex('payments', 'by-state', 'refused'),
    ]);
    return new StepFacts(ctx, pending, refused, challenge);
  }

  /** What `offer`'s scheme holds for it. */
  funds(offer: ChosenOffer): Promise<Funds> {
    return once(this.funded, offer, () => offer.handler.funds(this.ctx, offer.quote));
  }

  /** The first budget paying `mills` to the site would pass (started early, read once per price). */
  over(mills: number): Promise<BudgetOver | undefined> {
    return once(this.overs, mills, () => budgetOver(this.ctx.db, { site: this.challenge.quote.vendorId, mills, now: this.ctx.now }));
  }

  /** Payments to the site within the last day (what tells a site the reader comes back to). */
  paidPages(): Promise<number> {
    const site = this.challenge.quote.vendorId;
    return once(this.pages, site, () => paidPagesSince(this.ctx.db, site, this.ctx.now - VISIT_WINDOW_MS));
  }
}
