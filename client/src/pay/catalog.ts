/**
 * A vendor's price catalog (docs/protocol.md 15, `GET /.well-known/micromint`): what it sells and
 * for how much, before any 402. Advisory: the 402 is authoritative, and every 402 is checked against
 * the caps whatever the catalog said. The client uses it to show a price without paying
 * (`--dry-run`, `quote`) and, when asked, to refuse a request over a cap before sending it.
 * @module
 */
import { PAYWORD_SCHEME } from '@micromint/shared';
import type { Fetch } from './wrap-fetch.ts';

/** Where the catalog is, on the vendor's origin. */
export const CATALOG_PATH = '/.well-known/micromint';
/** Most pages of a catalog read (500 entries each: the catalog's own bound of 10,000 entries). */
export const MAX_CATALOG_PAGES = 20;
/** How long a catalog read is used before it is read again (the vendor's own `max-age`). */
export const CATALOG_TTL_MS = 60_000;

/** One price entry. */
export type CatalogEntry =
  { path: string; match: 'exact' | 'glob'; priceMills: number; mimeType?: string; source?: 'file' } | { match: 'dynamic' };

/** A vendor's catalog, all pages read. */
export interface Catalog {
  vendorId: string;
  broker: string;
  network: string;
  schemes: { scheme: string; linkValueMills?: number }[];
  basePath: string;
  matching: { caseSensitive: boolean; strict: boolean };
  prices: CatalogEntry[];
  truncated: boolean;
}

/** What the catalog says of one URL: a price in mills, listed as free, or that it cannot tell. */
export type CatalogPrice = { kind: 'priced'; priceMills: number; mimeType?: string } | { kind: 'unlisted' } | { kind: 'unknown' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readEntry(e: unknown): CatalogEntry | undefined {
  if (!isObject(e)) return undefined;
  if (e.match === 'dynamic') return { match: 'dynamic' };
  if (
    (e.match !== 'exact' && e.match !== 'glob') ||
    typeof e.path !== 'string' ||
    !Number.isSafeInteger(e.priceMills) ||
    (e.priceMills as number) < 0
  )
    return undefined;
  return {
    path: e.path,
    match: e.match,
    priceMills: e.priceMills as number,
    ...(typeof e.mimeType === 'string' ? { mimeType: e.mimeType } : {}),
    ...(e.source === 'file' ? { source: 'file' as const } : {}),
  };
}

/** Reads one page; undefined when it is not a catalog. */
function readPage(body: unknown): (Catalog & { next: string | null }) | undefined {
  if (!isObject(body) || body.version !== 1 || !Array.isArray(body.prices) || typeof body.vendorId !== 'string') return undefined;
  const m = isObject(body.matching) ? body.matching : {};
  return {
    vendorId: body.vendorId,
    broker: typeof body.broker === 'string' ? body.broker : '',
    network: typeof body.network === 'string' ? body.network : '',
    schemes: Array.isArray(body.schemes)
      ? (body.schemes.filter((s) => isObject(s) && typeof s.scheme === 'string') as Catalog['schemes'])
      : [],
    basePath: typeof body.basePath === 'string' ? body.basePath : '',
    matching: { caseSensitive: m.caseSensitive === true, strict: m.strict === true },
    prices: body.prices.map(readEntry).filter((e): e is CatalogEntry => e !== undefined),
    truncated: body.truncated === true,
    next: typeof body.next === 'string' && body.next.startsWith('/') ? body.next : null,
  };
}

/**
 * Reads the catalog of `origin` (every page), or undefined when the site publishes none.
 * @example
 * const catalog = await fetchCatalog(fetch, 'http://127.0.0.1:4001');
 */
export async function fetchCatalog(fetchFn: Fetch, origin: string, basePath = ''): Promise<Catalog | undefined> {
  let path: string | null = `${basePath}${CATALOG_PATH}`;
  let out: Catalog | undefined;
  for (let page = 0; path && page < MAX_CATALOG_PAGES; page++) {
    let res: Response;
    try {
      res = await fetchFn(new URL(path, origin).href, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      return out;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      return out;
    }
    const read = readPage(await res.json().catch(() => undefined));
    if (!read) return out;
    const { next, ...catalog } = read;
    out = out ? { ...out, prices: [...out.prices, ...catalog.prices] } : catalog;
    path = next;
  }
  return out;
}

const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** True when `path` matches `entry` under the site's matching rules (a `.mm` file's entry compares as the file system: exactly). */
function matches(entry: Exclude<CatalogEntry, { match: 'dynamic' }>, path: string, m: Catalog['matching']): boolean {
  const file = entry.source === 'file';
  const fold = (p: string): string => (m.caseSensitive || file ? p : p.toLowerCase());
  if (entry.match === 'glob') return new RegExp(`^${fold(entry.path).split('*').map(escape).join('.*')}$`).test(fold(path));
  const trim = (p: string): string => (!m.strict && !file && p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  return trim(fold(path)) === trim(fold(entry.path));
}

/**
 * What `catalog` says of `url`: the first entry that matches gives the price; a `dynamic` entry
 * before any match, or a truncated catalog, means it cannot tell.
 * @example
 * catalogPrice(catalog, new URL('http://127.0.0.1:4001/api/quote')); // { kind: 'priced', priceMills: 1 }
 */
export function catalogPrice(catalog: Catalog, url: URL): CatalogPrice {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'unknown' };
  }
  if (catalog.basePath) {
    if (!path.startsWith(catalog.basePath)) return { kind: 'unlisted' };
    path = path.slice(catalog.basePath.length) || '/';
  }
  for (const entry of catalog.prices) {
    if (entry.match === 'dynamic') return { kind: 'unknown' };
    if (matches(entry, path, catalog.matching))
      return { kind: 'priced', priceMills: entry.priceMills, ...(entry.mimeType ? { mimeType: entry.mimeType } : {}) };
  }
  return catalog.truncated ? { kind: 'unknown' } : { kind: 'unlisted' };
}

/** What a catalog price costs in each scheme the site offers, in mills (payword: whole links). */
export function schemeCosts(catalog: Catalog, priceMills: number): { scheme: string; mills: number }[] {
  return catalog.schemes.map((s) => {
    const value = s.scheme === PAYWORD_SCHEME && Number.isSafeInteger(s.linkValueMills) && s.linkValueMills! > 0 ? s.linkValueMills! : 1;
    return { scheme: s.scheme, mills: Math.ceil(priceMills / value) * value };
  });
}
