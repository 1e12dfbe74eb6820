/**
 * 402 challenges: reading PAYMENT-REQUIRED, deciding whether a URL may be paid at all, and
 * remembering the latest challenge of each tab (in `storage.session`, which outlives the worker
 * but not the browser session, and which content scripts cannot read).
 * @module
 */
import { decodePaymentRequired, type PaymentRequirements } from '@micromint/shared';
import type { CoinRefusal } from '../wallet/index.ts';
import { chooseOffer, type SchemeRegistry } from './schemes/registry.ts';
import type { Quote } from './schemes/types.ts';
import type { KeyValueArea } from './storage-area.ts';

/** A challenge the wallet may act on. */
export interface Challenge {
  tabId: number;
  /** The URL the browser requested (no fragment): what a retry requests again. */
  url: string;
  /** `resource.url` of the challenge (the vendor's view of the URL). */
  resourceUrl: string;
  scheme: string;
  requirement: PaymentRequirements;
  quote: Quote;
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

/** True for loopback hosts, which may be paid over plain http (local development). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** True when coins may be sent to `url`: https anywhere, http only on loopback. */
export function isPayableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
  } catch {
    return false;
  }
}

/** Reads `extensions.micromint.refused` of a refusal, keeping only well-formed entries. */
export function refusedCoins(extensions: unknown): CoinRefusal[] {
  const mm = (extensions as { micromint?: { refused?: unknown } } | undefined)?.micromint;
  if (!mm || !Array.isArray(mm.refused)) return [];
  return mm.refused
    .filter((r): r is CoinRefusal => typeof r?.coinId === 'string' && /^[0-9a-f]{1,64}$/.test(r.coinId) && typeof r.reason === 'string')
    .map((r) => ({ coinId: r.coinId, reason: r.reason.slice(0, 64) }));
}

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
  const offer = chooseOffer(registry, required.accepts);
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
    ...(required.error ? { error: required.error } : {}),
    refused: refusedCoins(required.extensions),
    seenAt: now,
  };
}

/**
 * Refuses to pay unless the URL is https (or loopback http) and the vendor paid is the origin of
 * the URL: a page cannot make the wallet pay some other site.
 */
export function assertPayable(c: Pick<Challenge, 'url' | 'resourceUrl' | 'requirement' | 'quote'>): void {
  if (!isPayableUrl(c.url)) throw new ChallengeError('insecure-url', `coins are only sent over https (or to this computer): ${c.url}`);
  const origin = new URL(c.url).origin;
  if (c.requirement.payTo !== origin || c.quote.vendorId !== origin)
    throw new ChallengeError('vendor-mismatch', `the page at ${origin} asks to pay ${c.requirement.payTo}; the wallet only pays the site itself`);
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

/**
 * The latest challenge per tab: a Map for the running worker, mirrored to `storage.session` so a
 * restarted worker still finds it. The Map is written synchronously, before any message from the
 * page that follows the response can be handled.
 */
export class ChallengeStore {
  private readonly memory = new Map<number, SeenChallenge>();

  constructor(
    private readonly area: KeyValueArea,
    private readonly now: () => number = Date.now,
  ) {}

  private static key = (tabId: number) => `challenge:${tabId}`;

  /** Remembers the tab's challenge. */
  put(tabId: number, url: string, header: string): Promise<void> {
    const c: SeenChallenge = { tabId, url: stripFragment(url), header, seenAt: this.now() };
    this.memory.set(tabId, c);
    return this.area.set({ [ChallengeStore.key(tabId)]: c });
  }

  /** The tab's challenge if it is for `url` and fresh. */
  async get(tabId: number, url: string): Promise<SeenChallenge | undefined> {
    let c = this.memory.get(tabId);
    if (!c) c = (await this.area.get(ChallengeStore.key(tabId)))[ChallengeStore.key(tabId)] as SeenChallenge | undefined;
    if (!c || c.url !== stripFragment(url)) return undefined;
    if (this.now() - c.seenAt > CHALLENGE_TTL_MS) {
      await this.forget(tabId);
      return undefined;
    }
    return c;
  }

  /** Forgets the tab's challenge (paid, declined, navigated away, or tab closed). */
  forget(tabId: number): Promise<void> {
    this.memory.delete(tabId);
    return this.area.remove(ChallengeStore.key(tabId));
  }
}
