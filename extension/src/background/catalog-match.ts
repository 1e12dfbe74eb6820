/**
 * A site's price catalog (`GET /.well-known/micromint`, docs/protocol.md section 15) as the wallet
 * reads it for price hints: the JSON checked into a {@link Catalog}, and the price of a URL found
 * by the catalog's own rules (entries in order, the first match wins; `exact` and `glob` paths
 * compared as `matching` says; `.mm` file entries compared as written; a `dynamic` entry before any
 * match means the catalog cannot tell).
 *
 * The catalog is advisory: a hint. The 402 decides what is paid, under the wallet's usual rules.
 * @module
 */
import { MAX_COINS_PER_PAYMENT } from '@micromint/shared';

/** Where a site publishes its catalog, relative to where its middleware is mounted. */
export const CATALOG_PATH = '/.well-known/micromint';
/** Most entries the wallet keeps of one site's catalog (the spec's bound on a catalog). */
export const MAX_CATALOG_ENTRIES = 10_000;

/** One checked entry. */
export type CatalogEntry = { match: 'exact' | 'glob'; path: string; priceMills: number; file: boolean } | { match: 'dynamic' };

/** A site's catalog, checked. */
export interface Catalog {
  /** The site's origin (`vendorId`, which must be the origin it was fetched from). */
  vendorId: string;
  /** Where the middleware is mounted (`''` at the root). */
  basePath: string;
  caseSensitive: boolean;
  strict: boolean;
  entries: CatalogEntry[];
  /** False when entries are missing (`truncated`, or pages the wallet did not read): an unmatched path is then unknown, not free. */
  complete: boolean;
}

/** What the catalog says of a URL. */
export type CatalogAnswer = { kind: 'priced'; mills: number } | { kind: 'free' } | { kind: 'unknown' };

/** A catalog the wallet will not use; the message says why (for the worker's log). */
export class CatalogError extends TypeError {
  override name = 'CatalogError';
}

/** One page of a catalog as read from JSON, before pages are joined. */
export interface CatalogPage extends Catalog {
  /** Path and query of the next page, or null on the last. */
  next: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPrice = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_COINS_PER_PAYMENT;

function entryOf(raw: unknown): CatalogEntry | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.match === 'dynamic') return { match: 'dynamic' };
  if (raw.match !== 'exact' && raw.match !== 'glob') return undefined;
  if (typeof raw.path !== 'string' || !raw.path.startsWith('/') || raw.path.length > 2048 || !isPrice(raw.priceMills)) return undefined;
  return { match: raw.match, path: raw.path, priceMills: raw.priceMills, file: raw.source === 'file' };
}

/**
 * Checks one page of a catalog fetched from `origin`. An entry the wallet cannot read is taken as a
 * `dynamic` one: from there on, paths it did not price are unknown rather than free or mispriced.
 * @throws CatalogError when it is not a version-1 catalog of `origin`
 * @example
 * const page = readCatalogPage(await res.json(), 'http://127.0.0.1:4001');
 */
export function readCatalogPage(json: unknown, origin: string): CatalogPage {
  if (!isRecord(json) || json.version !== 1) throw new CatalogError('not a version 1 price catalog');
  if (json.vendorId !== origin) throw new CatalogError(`the catalog is of ${String(json.vendorId)}, not of ${origin}`);
  if (!Array.isArray(json.prices)) throw new CatalogError('the catalog has no prices');
  const basePath = typeof json.basePath === 'string' && (json.basePath === '' || json.basePath.startsWith('/')) ? json.basePath : '';
  const matching = isRecord(json.matching) ? json.matching : {};
  // An entry the wallet cannot read may price anything after it: it counts as a dynamic one.
  const entries = json.prices.slice(0, MAX_CATALOG_ENTRIES).map((raw): CatalogEntry => entryOf(raw) ?? { match: 'dynamic' });
  const next = typeof json.next === 'string' && json.next.startsWith('/') ? json.next : null;
  return {
    vendorId: origin,
    basePath: basePath.replace(/\/+$/, ''),
    caseSensitive: matching.caseSensitive === true,
    strict: matching.strict === true,
    entries,
    complete: json.truncated !== true && json.prices.length <= MAX_CATALOG_ENTRIES,
    next,
  };
}

/** A path as the site's router compares it: folded unless case sensitive, one trailing `/` dropped unless strict. */
function routeKey(path: string, c: Pick<Catalog, 'caseSensitive' | 'strict'>): string {
  const p = c.caseSensitive ? path : path.toLowerCase();
  return !c.strict && p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function globMatches(pattern: string, path: string, c: Catalog): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`, c.caseSensitive ? '' : 'i');
  const paths = c.strict ? [path] : [path, routeKey(path, { caseSensitive: true, strict: false })];
  return paths.some((p) => re.test(p));
}

function matches(e: Exclude<CatalogEntry, { match: 'dynamic' }>, path: string, c: Catalog): boolean {
  if (e.file) return e.path === path; // a .mm file: as the file system compares
  if (e.match === 'glob') return globMatches(e.path, path, c);
  return e.path === path || routeKey(e.path, c) === routeKey(path, c);
}

/**
 * The price of `url` by the catalog's rules.
 * @example
 * catalogPrice(catalog, 'http://127.0.0.1:4001/articles/a.html'); // { kind: 'priced', mills: 2 }
 */
export function catalogPrice(c: Catalog, url: string): CatalogAnswer {
  let path: string;
  try {
    const u = new URL(url);
    if (u.origin !== c.vendorId) return { kind: 'unknown' };
    path = decodeURIComponent(u.pathname);
  } catch {
    return { kind: 'unknown' };
  }
  if (c.basePath) {
    const inside = c.caseSensitive ? path.startsWith(c.basePath) : path.toLowerCase().startsWith(c.basePath.toLowerCase());
    const rest = path.slice(c.basePath.length);
    // Outside where the middleware is mounted it prices nothing.
    if (!inside || (rest !== '' && !rest.startsWith('/'))) return { kind: 'free' };
    path = rest || '/';
  }
  for (const e of c.entries) {
    if (e.match === 'dynamic') return { kind: 'unknown' };
    if (matches(e, path, c)) return { kind: 'priced', mills: e.priceMills };
  }
  return c.complete ? { kind: 'free' } : { kind: 'unknown' };
}
