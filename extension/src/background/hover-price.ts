/**
 * The price of one link, asked when the reader rests the pointer on it (or focuses it) and the
 * site's catalog cannot tell: one `HEAD` of that URL, without cookies or payment, whose `402`
 * carries the terms. Never more than one request per URL while its answer is kept, and only for
 * links the worker itself offered for asking (price-hints.ts): a page cannot make the wallet probe
 * its links.
 * @module
 */
import { assertPayable, ChallengeError, parseChallenge } from './challenges.ts';
import type { ChallengeProbe } from './payment-flow.ts';
import type { SchemeRegistry } from './schemes/registry.ts';

/** How long the answer for a URL is kept. */
export const HOVER_PRICE_TTL_MS = 60_000;
/** Most URLs whose answers are kept. */
const MAX_KEPT = 500;

/** Prices learnt by asking. */
export class HoverPrices {
  private readonly kept = new Map<string, { mills?: number; at: number; answer: Promise<number | undefined> }>();

  constructor(
    /** A HEAD without credentials: `fetchProbe(fetch, 10_000, { method: 'HEAD', credentials: 'omit' })`. */
    private readonly probe: ChallengeProbe,
    private readonly schemes: SchemeRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The price in mills of `url` (the wallet's view of its 402: a payable offer to the URL's own
   * origin), or undefined when it asks none or cannot be paid.
   * @example
   * const mills = await hover.price('http://127.0.0.1:4001/articles/the-cartographers-last-map.html');
   */
  price(url: string): Promise<number | undefined> {
    const hit = this.kept.get(url);
    if (hit && this.now() - hit.at < HOVER_PRICE_TTL_MS) return hit.answer;
    const answer = this.ask(url);
    this.kept.delete(url);
    this.kept.set(url, { at: this.now(), answer });
    while (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
    return answer;
  }

  private async ask(url: string): Promise<number | undefined> {
    let header: string | undefined;
    try {
      header = await this.probe(url);
    } catch {
      return undefined;
    }
    if (!header) return undefined;
    try {
      const challenge = parseChallenge(header, url, -1, this.schemes, this.now());
      assertPayable(challenge);
      return challenge.quote.mills;
    } catch (e) {
      if (e instanceof ChallengeError) return undefined;
      throw e;
    }
  }
}
