/**
 * Sites' price catalogs, fetched once per origin and kept as long as the site's `Cache-Control:
 * max-age` says (within bounds), for the price hints on links. A site without a catalog (404, not
 * JSON, not its own) is remembered as such for an hour, so it is not asked again on every page.
 *
 * Bounded like anything a page can set off: one fetch at a time per origin, at most
 * {@link MAX_CATALOG_PAGES} pages of at most {@link MAX_CATALOG_PAGE_BYTES} each, at most
 * {@link MAX_CACHED_CATALOGS} origins kept (the oldest go first). The requests carry no
 * credentials: a catalog is public, and the wallet's questions tell the site nothing about the reader.
 * @module
 */
import { CATALOG_PATH, CatalogError, readCatalogPage, type Catalog } from './catalog-match.ts';
import type { KeyValueArea } from './storage-area.ts';

/** Pages of one catalog the wallet reads (500 entries each); past them, unmatched paths are unknown. */
export const MAX_CATALOG_PAGES = 4;
/** Largest catalog page the wallet reads. */
export const MAX_CATALOG_PAGE_BYTES = 512 * 1024;
/** Origins whose catalogs (or their absence) are kept. */
export const MAX_CACHED_CATALOGS = 64;
/** Bounds of how long a catalog is kept, in seconds, whatever its max-age says. */
export const CATALOG_KEEP_SECONDS = { min: 60, max: 24 * 60 * 60 } as const;
/** How long "this site has no catalog" is kept. */
export const NO_CATALOG_TTL_MS = 60 * 60 * 1000;
/** How long a catalog that could not be fetched at all (network error) is not asked again. */
export const UNREACHABLE_TTL_MS = 5 * 60 * 1000;

/** The fetch the cache needs (the global `fetch`, or a test double). */
export type CatalogFetch = (url: string, init: RequestInit) => Promise<Pick<Response, 'status' | 'headers' | 'text'>>;

/** What is kept of an origin. */
interface Kept {
  /** Absent: the site has no (usable) catalog. */
  catalog?: Catalog;
  etag?: string;
  until: number;
}

/**
 * Seconds of `max-age` in a Cache-Control value, bounded by {@link CATALOG_KEEP_SECONDS}; the least without one.
 * @example
 * keepSeconds('public, max-age=60'); // 60
 */
export function keepSeconds(cacheControl: string | null): number {
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?/i.exec(cacheControl ?? '');
  const seconds = m ? Number(m[1]) : CATALOG_KEEP_SECONDS.min;
  return Math.min(CATALOG_KEEP_SECONDS.max, Math.max(CATALOG_KEEP_SECONDS.min, seconds));
}

/**
 * The catalogs the wallet knows.
 * @example
 * const catalogs = new CatalogCache((url, init) => fetch(url, init), browser.storage.session);
 * const catalog = await catalogs.get('http://127.0.0.1:4001');
 */
export class CatalogCache {
  private readonly kept = new Map<string, Kept>();
  private readonly inflight = new Map<string, Promise<Catalog | undefined>>();

  constructor(
    private readonly fetchFn: CatalogFetch,
    /** Where kept catalogs outlive a worker restart (`storage.session`); optional. */
    private readonly area?: KeyValueArea,
    private readonly now: () => number = Date.now,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  private static key = (origin: string) => `catalog:${origin}`;

  /**
   * The catalog of `origin` (undefined when it has none), fetched from `at` (default: the
   * well-known path at the origin's root) when nothing fresh is kept.
   */
  async get(origin: string, at = `${origin}${CATALOG_PATH}`): Promise<Catalog | undefined> {
    const kept = await this.read(origin);
    if (kept && kept.until > this.now()) return kept.catalog;
    let running = this.inflight.get(origin);
    if (!running) {
      running = this.refresh(origin, at, kept).finally(() => this.inflight.delete(origin));
      this.inflight.set(origin, running);
    }
    return running;
  }

  private async read(origin: string): Promise<Kept | undefined> {
    const hit = this.kept.get(origin);
    if (hit || !this.area) return hit;
    const stored = (await this.area.get(CatalogCache.key(origin)))[CatalogCache.key(origin)] as Kept | undefined;
    if (stored) this.remember(origin, stored, false);
    return stored;
  }

  private remember(origin: string, k: Kept, store = true): void {
    this.kept.delete(origin);
    this.kept.set(origin, k);
    while (this.kept.size > MAX_CACHED_CATALOGS) {
      const oldest = this.kept.keys().next().value!;
      this.kept.delete(oldest);
      void this.area?.remove(CatalogCache.key(oldest)).catch(() => undefined);
    }
    if (store) void this.area?.set({ [CatalogCache.key(origin)]: k }).catch(() => undefined);
  }

  private async refresh(origin: string, at: string, old: Kept | undefined): Promise<Catalog | undefined> {
    try {
      const first = await this.page(at, old?.catalog ? old.etag : undefined);
      if (first && 'notModified' in first) {
        this.remember(origin, { ...old!, until: this.now() + first.keepMs });
        return old!.catalog;
      }
      if (!first) {
        this.remember(origin, { until: this.now() + NO_CATALOG_TTL_MS });
        return undefined;
      }
      const catalog = await this.rest(origin, first.json, first.keepMs);
      this.remember(origin, { catalog: catalog.catalog, ...(first.etag ? { etag: first.etag } : {}), until: this.now() + catalog.keepMs });
      return catalog.catalog;
    } catch (e) {
      this.log(`no price catalog for ${origin}: ${(e as Error).message}`);
      const ttl = e instanceof CatalogError ? NO_CATALOG_TTL_MS : UNREACHABLE_TTL_MS;
      this.remember(origin, { until: this.now() + ttl });
      return undefined;
    }
  }

  /** The first page and the pages after it, up to {@link MAX_CATALOG_PAGES}. */
  private async rest(origin: string, json: unknown, keepMs: number): Promise<{ catalog: Catalog; keepMs: number }> {
    const page = readCatalogPage(json, origin);
    const { next: firstNext, ...catalog } = page;
    let next = firstNext;
    for (let n = 1; next && n < MAX_CATALOG_PAGES; n++) {
      const url = new URL(next, origin);
      if (url.origin !== origin) break;
      const more = await this.page(url.href);
      if (!more || 'notModified' in more) break;
      const p = readCatalogPage(more.json, origin);
      catalog.entries.push(...p.entries);
      catalog.complete &&= p.complete;
      keepMs = Math.min(keepMs, more.keepMs);
      next = p.next;
    }
    if (next) catalog.complete = false;
    return { catalog, keepMs };
  }

  /** One page: its JSON, undefined for no catalog (not 200), `notModified` for a 304 to `etag`. */
  private async page(
    url: string,
    etag?: string,
  ): Promise<{ json: unknown; etag?: string; keepMs: number } | { notModified: true; keepMs: number } | undefined> {
    const res = await this.fetchFn(url, {
      method: 'GET',
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    const keepMs = keepSeconds(res.headers.get('cache-control')) * 1000;
    if (res.status === 304 && etag) return { notModified: true, keepMs };
    if (res.status !== 200) return undefined;
    const declared = Number(res.headers.get('content-length'));
    if (declared > MAX_CATALOG_PAGE_BYTES) throw new CatalogError(`a catalog page of ${declared} bytes is too large`);
    const text = await res.text();
    if (text.length > MAX_CATALOG_PAGE_BYTES) throw new CatalogError('a catalog page is too large');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CatalogError('the catalog is not JSON');
    }
    const tag = res.headers.get('etag');
    return { json, ...(tag ? { etag: tag } : {}), keepMs };
  }
}
