/**
 * The sites the wallet has met selling: origins that answered a `402` with terms the wallet could
 * pay, in any tab (a page, a frame, a page's request). The price hints ask only these sites (and a
 * page that declares its own catalog) for prices, so that the wallet never sends requests to every
 * site a page links to.
 *
 * Kept in `storage.local` as one record `{ origin: last seen (ms) }`, at most
 * {@link MAX_KNOWN_VENDORS} origins (the longest unseen go first), written at most once an hour per
 * origin.
 * @module
 */
import { decodePaymentRequired } from '@micromint/shared';
import type { SchemeRegistry } from './schemes/registry.ts';
import type { KeyValueArea } from './storage-area.ts';

/** Most sites remembered. */
export const MAX_KNOWN_VENDORS = 500;
/** A site seen again within this long is not written again. */
const REFRESH_MS = 60 * 60 * 1000;
const KEY = 'knownVendors';

/** The known selling sites. */
export class KnownVendors {
  private loaded: Promise<Map<string, number>> | undefined;

  constructor(
    private readonly area: KeyValueArea,
    private readonly schemes: SchemeRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  private load(): Promise<Map<string, number>> {
    this.loaded ??= this.area.get(KEY).then((stored) => {
      const record = stored[KEY];
      const map = new Map<string, number>();
      if (record && typeof record === 'object')
        for (const [origin, at] of Object.entries(record as Record<string, unknown>)) if (typeof at === 'number') map.set(origin, at);
      return map;
    });
    return this.loaded;
  }

  /** True when `origin` was seen selling. */
  async has(origin: string): Promise<boolean> {
    return (await this.load()).has(origin);
  }

  /**
   * Notes a `402` of `url` with PAYMENT-REQUIRED `header`: its origin sells when an offer the
   * wallet knows pays that very origin.
   * @example
   * await vendors.noteChallenge(details.url, challengeHeader);
   */
  async noteChallenge(url: string, header: string): Promise<void> {
    let origin: string;
    try {
      origin = new URL(url).origin;
      const required = decodePaymentRequired(header);
      if (!required.accepts.some((a) => a.payTo === origin && this.schemes.has(a.scheme))) return;
    } catch {
      return;
    }
    const map = await this.load();
    const at = this.now();
    const last = map.get(origin);
    if (last !== undefined && at - last < REFRESH_MS) return;
    map.delete(origin);
    map.set(origin, at);
    while (map.size > MAX_KNOWN_VENDORS) map.delete(map.keys().next().value!);
    await this.area.set({ [KEY]: Object.fromEntries(map) });
  }
}
