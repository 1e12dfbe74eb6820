/**
 * 402 challenges: reading PAYMENT-REQUIRED, deciding whether a URL may be paid at all, and
 * remembering the latest challenge of each tab (in `storage.session`, which outlives the worker
 * but not the browser session, and which content scripts cannot read).
 * @module
 */
import { decodePaymentRequired, isPayableUrl, refusedCoins, type PaymentRequirements } from '@micromint/shared';
import type { CoinRefusal } from '../wallet/index.ts';
import { readOffers, type ChosenOffer, type SchemeRegistry } from './schemes/registry.ts';
import type { Quote } from './schemes/types.ts';
import type { KeyValueArea } from './storage-area.ts';

/** A challenge the wallet may act on. */
export interface Challenge {
  tabId: number;
  /** The URL the browser requested (no fragment): what a retry requests again. */
  url: string;
  /** `resource.url` of the challenge (the vendor's view of the URL). */
  resourceUrl: string;
  /** The vendor's first offer the wallet can pay (its scheme, entry and terms); {@link offers} has them all. */
  scheme: string;
  requirement: PaymentRequirements;
  quote: Quote;
  /** Every offer the wallet can pay, in the vendor's order: the choice of scheme picks one. */
  offers: ChosenOffer[];
  /** Set when the vendor refused a payment for this URL; the wallet then asks instead of paying. */
  error?: string;
  refused: CoinRefusal[];
  seenAt: number;
}

/** Why a challenge cannot be paid. */
export type ChallengeErrorCode = 'unreadable' | 'no-supported-scheme' | 'insecure-url' | 'vendor-mismatch';

/** A challenge the wallet will not pay; `message` is fit to show the user. */
export class ChallengeError extends Error {
  override name = 'ChallengeError';
  constructor(
    readonly code: ChallengeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How long a challenge waits for its page to report (and for the user to decide). */
export const CHALLENGE_TTL_MS = 30 * 60 * 1000;

/** A URL without its fragment: the form requests and webRequest use. */
export function stripFragment(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

/** Where a wallet may pay (https, or http to this machine): the wallets' shared rule. */
export { isPayableUrl } from '@micromint/shared';

/**
 * Reads a PAYMENT-REQUIRED header seen on a 402 for `url` in tab `tabId` and picks the offer to pay.
 * Throws {@link ChallengeError} when it is unreadable or offers no scheme this wallet knows.
 * @example
 * const challenge = parseChallenge(header, 'http://127.0.0.1:4001/article', 7, DEFAULT_SCHEMES);
 * assertPayable(challenge);
 */
export function parseChallenge(header: unknown, url: string, tabId: number, registry: SchemeRegistry, now = Date.now()): Challenge {
  let required;
  try {
    required = decodePaymentRequired(header);
  } catch (e) {
    throw new ChallengeError('unreadable', `the payment terms cannot be read: ${(e as Error).message}`);
  }
  const offers = readOffers(registry, required.accepts);
  const offer = offers[0];
  if (!offer) {
    const offered = required.accepts.map((a) => a.scheme).join(', ');
    throw new ChallengeError('no-supported-scheme', `this site asks for ${offered}, which this wallet cannot pay`);
  }
  return {
    tabId,
    url: stripFragment(url),
    resourceUrl: required.resource.url,
    scheme: offer.handler.scheme,
    requirement: offer.requirement,
    quote: offer.quote,
    offers,
    ...(required.error ? { error: required.error } : {}),
    refused: refusedCoins(required.extensions),
    seenAt: now,
  };
}

/**
 * Refuses to pay unless the URL is https (or loopback http) and the vendor paid, in every offer
 * the wallet could take, is the origin of the URL: a page cannot make the wallet pay some other site.
 */
export function assertPayable(
  c: Pick<Challenge, 'url' | 'resourceUrl' | 'requirement' | 'quote'> & { offers?: readonly Pick<ChosenOffer, 'requirement' | 'quote'>[] },
): void {
  if (!isPayableUrl(c.url)) throw new ChallengeError('insecure-url', `coins are only sent over https (or to this computer): ${c.url}`);
  const origin = new URL(c.url).origin;
  for (const o of [c, ...(c.offers ?? [])])
    if (o.requirement.payTo !== origin || o.quote.vendorId !== origin)
      throw new ChallengeError(
        'vendor-mismatch',
        `the page at ${origin} asks to pay ${o.requirement.payTo}; the wallet only pays the site itself`,
      );
  let resourceOrigin: string | undefined;
  try {
    resourceOrigin = new URL(c.resourceUrl).origin;
  } catch {
    resourceOrigin = undefined;
  }
  if (resourceOrigin !== origin) throw new ChallengeError('vendor-mismatch', `the challenge is for ${c.resourceUrl}, not for ${c.url}`);
}

/** A 402 seen on a tab's main-frame response: the raw PAYMENT-REQUIRED, parsed when the page reports. */
export interface SeenChallenge {
  tabId: number;
  url: string;
  header: string;
  seenAt: number;
}

/** What the worker knows of a tab's latest main-frame response. */
interface TabRecord {
  tabId: number;
  url: string;
  /** The challenge, while it may still be acted on; absent for other answers and once consumed. */
  header?: string;
  seenAt: number;
}

/**
 * The latest main-frame response per tab: its challenge if it was a 402 with PAYMENT-REQUIRED,
 * else just the fact that the worker saw it. A Map for the running worker, mirrored to
 * `storage.session` so a restarted worker still finds it. The Map is written synchronously, before
 * any message from the page that follows the response can be handled.
 *
 * "Saw it" is what tells a 402 page reporting in apart from one whose response the worker missed
 * (it was not running yet, right after the browser started): only the second makes the worker
 * fetch the terms itself ({@link ChallengeStore.observed}).
 */
export class ChallengeStore {
  private readonly memory = new Map<number, TabRecord>();

  constructor(
    private readonly area: KeyValueArea,
    private readonly now: () => number = Date.now,
  ) {}

  private static key = (tabId: number) => `challenge:${tabId}`;

  private write(r: TabRecord): Promise<void> {
    this.memory.set(r.tabId, r);
    return this.area.set({ [ChallengeStore.key(r.tabId)]: r });
  }

  private async read(tabId: number): Promise<TabRecord | undefined> {
    const hit = this.memory.get(tabId);
    if (hit) return hit;
    const stored = (await this.area.get(ChallengeStore.key(tabId)))[ChallengeStore.key(tabId)] as TabRecord | undefined;
    if (stored) this.memory.set(tabId, stored);
    return stored;
  }

  /** Remembers the tab's challenge. */
  put(tabId: number, url: string, header: string): Promise<void> {
    return this.write({ tabId, url: stripFragment(url), header, seenAt: this.now() });
  }

  /** Notes a main-frame response without a challenge: the tab shows `url`, nothing to pay. */
  saw(tabId: number, url: string): Promise<void> {
    return this.write({ tabId, url: stripFragment(url), seenAt: this.now() });
  }

  /** The tab's challenge if it is for `url` and fresh. */
  async get(tabId: number, url: string): Promise<SeenChallenge | undefined> {
    const c = await this.read(tabId);
    if (!c?.header || c.url !== stripFragment(url)) return undefined;
    if (this.now() - c.seenAt > CHALLENGE_TTL_MS) {
      await this.forget(tabId);
      return undefined;
    }
    return { tabId: c.tabId, url: c.url, header: c.header, seenAt: c.seenAt };
  }

  /** True when the worker saw the tab's latest main-frame response and it was for `url`. */
  async observed(tabId: number, url: string): Promise<boolean> {
    return (await this.read(tabId))?.url === stripFragment(url);
  }

  /** Consumes the tab's challenge (paid, refused); the worker still saw the response. */
  async forget(tabId: number): Promise<void> {
    const c = await this.read(tabId);
    if (c?.header !== undefined) await this.write({ tabId, url: c.url, seenAt: c.seenAt });
  }

  /** Forgets everything about the tab (it was closed). */
  clear(tabId: number): Promise<void> {
    this.memory.delete(tabId);
    return this.area.remove(ChallengeStore.key(tabId));
  }
}
