/**
 * The price catalog: `GET /.well-known/micromint` tells a client what this site sells before it pays,
 * from the same price rules and `.mm` files the sale uses (so a script can show a price, or refuse one
 * over its cap, without a 402 round trip). The 402 stays authoritative: the catalog is advisory.
 *
 * Bounded, as anything anonymous must be: the `.mm` files are found by a walk that stops after
 * {@link MAX_SCANNED_ENTRIES} directory entries and {@link MAX_PRICE_FILES} price files, the list holds
 * at most {@link MAX_CATALOG_ENTRIES} entries (then `truncated`), is served in pages of
 * {@link CATALOG_PAGE_SIZE}, and is rebuilt at most every {@link CATALOG_MAX_AGE_SECONDS} seconds however
 * often it is asked for.
 * @module
 */
import { createHash } from 'node:crypto';
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import { PAYWORD_SCHEME } from '@micromint/shared';
import { PriceConfigError } from './errors.ts';
import type { Settings } from './options.ts';
import { routingOf, type PriceFiles } from './prices.ts';
import { sendJsonError } from './seller.ts';

/** Where the catalog is served, relative to where the middleware is mounted. */
export const CATALOG_PATH = '/.well-known/micromint';
/** Entries in one page of the catalog. */
export const CATALOG_PAGE_SIZE = 500;
/** Most entries the catalog lists in all (price rules and files). */
export const MAX_CATALOG_ENTRIES = 10_000;
/** Most `.mm` files read for one build of the catalog. */
export const MAX_PRICE_FILES = 10_000;
/** Most directory entries looked at for one build of the catalog. */
export const MAX_SCANNED_ENTRIES = 50_000;
/** Deepest directory under `root` the walk enters. */
const MAX_DEPTH = 32;
/** Seconds a built catalog is served (and may be cached by clients) before it is built again. */
export const CATALOG_MAX_AGE_SECONDS = 60;

/** One entry of the catalog's `prices`. */
export type CatalogEntry =
  { path: string; match: 'exact' | 'glob'; priceMills: number; mimeType?: string; source?: 'file' } | { match: 'dynamic' };

interface Built {
  entries: CatalogEntry[];
  truncated: boolean;
}

/** Finds the priced files under `root`: each `x.mm` beside a file `x`, within the walk's bounds. */
async function priceFileEntries(root: string, files: PriceFiles): Promise<Built> {
  const entries: CatalogEntry[] = [];
  const queue: { dir: string; depth: number }[] = [{ dir: '', depth: 0 }];
  let scanned = 0;
  let priceFiles = 0;
  let truncated = false;
  while (queue.length && !truncated) {
    const { dir, depth } = queue.shift()!;
    let handle;
    try {
      handle = await opendir(join(root, dir));
    } catch {
      continue; // unreadable: the static server cannot serve it either
    }
    for await (const d of handle) {
      if (++scanned > MAX_SCANNED_ENTRIES) {
        truncated = true;
        break;
      }
      if (d.name.startsWith('.')) continue; // dotfiles are not served by default
      const rel = `${dir}/${d.name}`;
      if (d.isDirectory()) {
        if (depth < MAX_DEPTH) queue.push({ dir: rel, depth: depth + 1 });
        else truncated = true;
      } else if (d.isFile() && d.name.endsWith('.mm') && d.name.length > 3) {
        if (++priceFiles > MAX_PRICE_FILES) {
          truncated = true;
          break;
        }
        entries.push(...(await fileEntries(files, rel.slice(0, -3))));
      }
    }
  }
  entries.sort((a, b) => ((a as { path: string }).path < (b as { path: string }).path ? -1 : 1));
  return { entries, truncated };
}

/** The entries of one priced file (its URL path, and its directory's for an `index.html`). */
async function fileEntries(files: PriceFiles, path: string): Promise<CatalogEntry[]> {
  let price: number | undefined;
  try {
    price = await files.priceOf(path);
  } catch (e) {
    if (e instanceof PriceConfigError) return []; // a broken price file answers 500; it is logged by PriceFiles
    throw e;
  }
  if (price === undefined) return [];
  const entry = (p: string): CatalogEntry => ({ path: p, match: 'exact', priceMills: price, source: 'file' });
  return path.endsWith('/index.html') ? [entry(path), entry(path.slice(0, -'index.html'.length))] : [entry(path)];
}

/** The first strong-or-weak validator of `If-None-Match` equal to `etag` (or `*`). */
const matchesEtag = (header: string | undefined, etag: string): boolean =>
  header !== undefined && header.split(',').some((t) => ['*', etag, `W/${etag}`].includes(t.trim()));

/** Reads `?offset=` (0 to {@link MAX_CATALOG_ENTRIES}); undefined when it is not such a number. */
function offsetOf(req: Request): number | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.offset;
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= MAX_CATALOG_ENTRIES ? n : undefined;
}

/**
 * Serves the catalog of a `micromint()` middleware.
 * @example
 * const catalog = new Catalog(resolveOptions({ vendorId, broker, prices: { '/api/quote': 1 } }));
 * if (catalog.handles(req)) await catalog.serve(req, res);
 */
export class Catalog {
  private built: { at: number; promise: Promise<Built> } | undefined;

  constructor(private readonly cfg: Settings) {}

  /** True for a GET or HEAD of {@link CATALOG_PATH}. */
  handles(req: Request): boolean {
    return (req.method === 'GET' || req.method === 'HEAD') && req.path === CATALOG_PATH;
  }

  /** Answers the request with one page of the catalog (304 when the client's copy is current). */
  async serve(req: Request, res: Response): Promise<void> {
    const offset = offsetOf(req);
    if (offset === undefined) {
      sendJsonError(res, 400, 'invalid_offset', `offset must be a whole number from 0 to ${MAX_CATALOG_ENTRIES}`);
      return;
    }
    const { entries, truncated } = await this.current();
    const body = JSON.stringify(this.page(req, entries, truncated, offset));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', `public, max-age=${CATALOG_MAX_AGE_SECONDS}`);
    res.setHeader('ETag', etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (matchesEtag(req.get('if-none-match'), etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }

  /** One page of the catalog as JSON. */
  private page(req: Request, entries: readonly CatalogEntry[], truncated: boolean, offset: number) {
    const cfg = this.cfg;
    const routing = routingOf(req);
    const end = offset + CATALOG_PAGE_SIZE;
    return {
      version: 1,
      vendorId: cfg.vendorId,
      broker: cfg.broker,
      network: cfg.network,
      schemes: cfg.schemes.map((s) => (s === PAYWORD_SCHEME ? { scheme: s, linkValueMills: cfg.linkValue } : { scheme: s })),
      basePath: req.baseUrl,
      matching: { caseSensitive: routing.caseSensitive, strict: routing.strict },
      prices: entries.slice(offset, end),
      dynamic: entries.some((e) => e.match === 'dynamic'),
      offset,
      total: entries.length,
      truncated,
      next: end < entries.length ? `${req.baseUrl}${CATALOG_PATH}?offset=${end}` : null,
    };
  }

  /** The catalog, built again when older than {@link CATALOG_MAX_AGE_SECONDS}; one build at a time. */
  private current(): Promise<Built> {
    const now = performance.now();
    if (!this.built || now - this.built.at >= CATALOG_MAX_AGE_SECONDS * 1000) {
      const promise = this.build();
      this.built = { at: now, promise };
      promise.catch(() => {
        if (this.built?.promise === promise) this.built = undefined;
      });
    }
    return this.built.promise;
  }

  private async build(): Promise<Built> {
    const rules: CatalogEntry[] = this.cfg.rules
      .listed()
      .map((r) =>
        r.match === 'dynamic' ? r : { path: r.path, match: r.match, priceMills: r.price, ...(r.mimeType ? { mimeType: r.mimeType } : {}) },
      );
    const files =
      this.cfg.files && this.cfg.root ? await priceFileEntries(this.cfg.root, this.cfg.files) : { entries: [], truncated: false };
    const all = [...rules, ...files.entries];
    return { entries: all.slice(0, MAX_CATALOG_ENTRIES), truncated: files.truncated || all.length > MAX_CATALOG_ENTRIES };
  }
}
