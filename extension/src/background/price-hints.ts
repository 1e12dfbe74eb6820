/**
 * Price hints (the thesis's Nielsen guideline: show the price before the click). A page's content
 * script sends the URLs its links point to; the worker answers which of them cost what, from the
 * sites' price catalogs (catalogs.ts), and which it may ask about when the reader rests on them
 * (hover-price.ts). Links at or under the autopay threshold are cheap (they look like links); the
 * others are `dear` and get a small price marker.
 *
 * Which sites are asked at all: the page's own origin when the page declares its catalog
 * (`<link rel="micromint-catalog">`), and sites the wallet has met selling (known-vendors.ts).
 * Nothing is fetched for other links, and no link is fetched unless the reader rests on it.
 * @module
 */
import type { LinkHint, LinkHints } from '../messages.ts';
import { catalogPrice } from './catalog-match.ts';
import type { CatalogCache } from './catalogs.ts';
import { isPayableUrl, stripFragment } from './challenges.ts';
import type { HoverPrices } from './hover-price.ts';
import type { KnownVendors } from './known-vendors.ts';
import type { SettingsStore } from './settings.ts';

/** Most link URLs looked at for one request. */
export const MAX_HINT_URLS = 1000;
/** Most sites whose catalogs one request may consult. */
export const MAX_HINT_ORIGINS = 8;
/** Most hover questions a tab may ask a minute. */
export const HOVER_ASKS_PER_MINUTE = 30;
/** Most URLs a tab may ask about on hover (the last request's `ask`). */
const MAX_ASKABLE = 2000;

/** What the hints need. */
export interface PriceHintsDeps {
  settings: SettingsStore;
  catalogs: CatalogCache;
  hover: HoverPrices;
  vendors: KnownVendors;
  now?: () => number;
}

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** The hints service. One per worker. */
export class PriceHints {
  private readonly askable = new Map<number, Set<string>>();
  private readonly asked = new Map<number, number[]>();
  private readonly now: () => number;

  constructor(private readonly deps: PriceHintsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * The hints for the links of the page at `pageUrl` in tab `tabId`. `catalog` is where the page
   * says its own site's catalog is (used only when it is of the page's origin).
   * @example
   * const { hints, ask } = await priceHints.forLinks(tabId, sender.url, { urls, catalog });
   */
  async forLinks(tabId: number, pageUrl: string, body: { urls: readonly unknown[]; catalog?: unknown }): Promise<LinkHints> {
    const settings = await this.deps.settings.get();
    if (!settings.showPriceHints) return { enabled: false, hints: [], ask: [] };
    const pageOrigin = originOf(pageUrl);
    const declared = typeof body.catalog === 'string' && originOf(body.catalog) === pageOrigin ? stripFragment(body.catalog) : undefined;
    const byOrigin = new Map<string, string[]>();
    for (const raw of body.urls.slice(0, MAX_HINT_URLS)) {
      if (typeof raw !== 'string' || !isPayableUrl(raw)) continue;
      const url = stripFragment(raw);
      const origin = new URL(url).origin;
      if (!byOrigin.has(origin) && byOrigin.size >= MAX_HINT_ORIGINS) continue;
      byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), url]);
    }
    const hints: LinkHint[] = [];
    const ask: string[] = [];
    for (const [origin, urls] of byOrigin) {
      const own = origin === pageOrigin && declared !== undefined;
      if (!own && !(await this.deps.vendors.has(origin))) continue;
      const catalog = await this.deps.catalogs.get(origin, own ? declared : undefined);
      for (const url of new Set(urls)) {
        const answer = catalog ? catalogPrice(catalog, url) : { kind: 'unknown' as const };
        if (answer.kind === 'priced') hints.push(this.hint(url, answer.mills, settings.autopayThreshold));
        else if (answer.kind === 'unknown') ask.push(url);
      }
    }
    this.allowAsking(tabId, ask);
    return { enabled: true, hints, ask };
  }

  /**
   * The reader rests on a link whose price the catalog could not tell: ask its site, once. Only a
   * URL offered in an earlier {@link forLinks} answer to the tab, and at most
   * {@link HOVER_ASKS_PER_MINUTE} a minute per tab.
   */
  async onHover(tabId: number, url: unknown): Promise<{ hint?: LinkHint }> {
    if (typeof url !== 'string' || !this.askable.get(tabId)?.has(url)) return {};
    const settings = await this.deps.settings.get();
    if (!settings.showPriceHints) return {};
    const now = this.now();
    const recent = (this.asked.get(tabId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= HOVER_ASKS_PER_MINUTE) return {};
    this.asked.set(tabId, [...recent, now]);
    const mills = await this.deps.hover.price(url);
    return mills === undefined ? {} : { hint: this.hint(url, mills, settings.autopayThreshold) };
  }

  /** The tab is gone. */
  tabClosed(tabId: number): void {
    this.askable.delete(tabId);
    this.asked.delete(tabId);
  }

  /** Adds URLs the tab may ask about (links added later to a page come in later requests); the oldest go past {@link MAX_ASKABLE}. */
  private allowAsking(tabId: number, urls: readonly string[]): void {
    const set = this.askable.get(tabId) ?? new Set<string>();
    for (const url of urls) {
      set.delete(url);
      set.add(url);
    }
    for (const old of set) {
      if (set.size <= MAX_ASKABLE) break;
      set.delete(old);
    }
    this.askable.set(tabId, set);
  }

  private hint(url: string, mills: number, threshold: number): LinkHint {
    return { url, mills, dear: mills > threshold };
  }
}
