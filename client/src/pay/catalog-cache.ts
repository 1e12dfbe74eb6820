/**
 * Catalogs read per origin, kept a minute (the vendor's own `max-age`): a script calling one API
 * a thousand times reads its catalog once a minute at most. A site without a catalog is
 * remembered as such for the same minute.
 * @module
 */
import { CATALOG_TTL_MS, fetchCatalog, type Catalog } from './catalog.ts';
import type { Fetch } from './wrap-fetch.ts';

/** Catalogs by origin. */
export class CatalogCache {
  private readonly entries = new Map<string, { at: number; catalog: Promise<Catalog | undefined> }>();

  constructor(
    private readonly fetchFn: Fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The catalog of `origin`, read at most once a minute; undefined when it has none. */
  get(origin: string): Promise<Catalog | undefined> {
    const hit = this.entries.get(origin);
    const t = this.now();
    if (hit && t - hit.at < CATALOG_TTL_MS && t >= hit.at) return hit.catalog;
    const catalog = fetchCatalog(this.fetchFn, origin);
    this.entries.set(origin, { at: t, catalog });
    if (this.entries.size > 1000) this.entries.delete(this.entries.keys().next().value!);
    return catalog;
  }
}
