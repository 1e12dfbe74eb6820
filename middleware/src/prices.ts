/**
 * What a URL costs: the `prices` option (route map and/or function) and `.mm` price files.
 * A `.mm` file is the thesis's convention: `foo.html.mm` beside `foo.html` holds one line,
 * the price in whole coins.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Request } from 'express';
import { aint, MAX_COINS_PER_PAYMENT } from '@micromint/shared';
import { PriceConfigError } from './errors.ts';

/** Route -> price in coins. Keys are exact paths (`/api/quote`) or globs where `*` matches any characters. */
export type PriceMap = Readonly<Record<string, number>>;

/** Price of a request in coins, or `undefined` when it is free. */
export type PriceFunction = (req: Request) => number | undefined | Promise<number | undefined>;

/** The `prices` option: a map, a function, or several of them consulted in order. */
export type PricesOption = PriceMap | PriceFunction | ReadonlyArray<PriceMap | PriceFunction>;

/** Throws unless `price` is a whole number of coins a single payment can carry. */
export function assertPrice(price: unknown, name = 'price'): asserts price is number {
  aint(price, 1, MAX_COINS_PER_PAYMENT, name);
}

interface Glob {
  pattern: string;
  re: RegExp;
  /** The same pattern without regard to case. */
  reFolded: RegExp;
  price: number;
}

/**
 * How the app matches its routes. Express's defaults are case-insensitive and non-strict (one
 * trailing slash is optional), so `app.get('/api/quote')` also answers `/API/QUOTE` and
 * `/api/quote/`: a price keyed `/api/quote` must cover those too, or they are served for free.
 * A router created with its own `caseSensitive`/`strict` options is not visible from here.
 */
interface Routing {
  caseSensitive: boolean;
  strict: boolean;
}

function routingOf(req: Request): Routing {
  const app = req.app as { get?: (setting: string) => unknown } | undefined;
  const enabled = (setting: string): boolean => typeof app?.get === 'function' && app.get(setting) === true;
  return { caseSensitive: enabled('case sensitive routing'), strict: enabled('strict routing') };
}

/** A path as the app's routing compares it: case folded unless case sensitive, one trailing slash dropped unless strict. */
function routeKey(path: string, r: Routing): string {
  const p = r.caseSensitive ? path : path.toLowerCase();
  return !r.strict && p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Compiled `prices` option. */
export class PriceRules {
  private readonly rules: ({ exact: Map<string, number>; globs: Glob[] } | PriceFunction)[] = [];

  /** Validates every entry eagerly: keys must start with `/`, prices must be 1..1000 coins. */
  constructor(prices: PricesOption | undefined) {
    if (prices === undefined) return;
    const list = Array.isArray(prices) ? prices : [prices];
    list.forEach((entry, i) => {
      const name = Array.isArray(prices) ? `prices[${i}]` : 'prices';
      if (typeof entry === 'function') {
        this.rules.push(entry as PriceFunction);
        return;
      }
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw new TypeError(`${name} must be a route map or a function`);
      const exact = new Map<string, number>();
      const globs: Glob[] = [];
      for (const [route, price] of Object.entries(entry as PriceMap)) {
        if (!route.startsWith('/')) throw new RangeError(`${name}: route "${route}" must start with /`);
        assertPrice(price, `${name}["${route}"]`);
        if (route.includes('*')) {
          const source = route
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*');
          globs.push({ pattern: route, re: new RegExp(`^${source}$`), reFolded: new RegExp(`^${source}$`, 'i'), price });
        } else exact.set(route, price);
      }
      // The most specific glob (most literal characters) wins.
      globs.sort((a, b) => b.pattern.replace(/\*/g, '').length - a.pattern.replace(/\*/g, '').length);
      this.rules.push({ exact, globs });
    });
  }

  /**
   * Price of `path` by the rules, in order; `undefined` when none prices it. Map entries match
   * the way the app's routes do (see {@link Routing}); an exact match as written wins.
   */
  async priceOf(req: Request, path: string): Promise<number | undefined> {
    let routing: Routing | undefined;
    for (const rule of this.rules) {
      if (typeof rule === 'function') {
        const price = await rule(req);
        if (price === undefined) continue;
        if (!Number.isSafeInteger(price) || price < 1 || price > MAX_COINS_PER_PAYMENT)
          throw new PriceConfigError(
            'prices function',
            `returned ${String(price)}, not a whole number of coins from 1 to ${MAX_COINS_PER_PAYMENT} (or undefined for free)`,
          );
        return price;
      }
      const exact = rule.exact.get(path);
      if (exact !== undefined) return exact;
      const r = (routing ??= routingOf(req));
      const key = routeKey(path, r);
      for (const [route, price] of rule.exact) if (routeKey(route, r) === key) return price;
      const paths = r.strict ? [path] : [path, routeKey(path, { caseSensitive: true, strict: false })];
      for (const g of rule.globs) if (paths.some((p) => (r.caseSensitive ? g.re : g.reFolded).test(p))) return g.price;
    }
    return undefined;
  }
}

interface CachedPrice {
  mtimeMs: number;
  size: number;
  price?: number;
  error?: PriceConfigError;
}

const PRICE_LINE = /^[ \t]*([0-9]{1,7})[ \t]*(\r?\n)?$/;
const MAX_CACHED = 10_000;

/**
 * Reads `.mm` price files under `root`, caching each by path and re-reading it when its mtime
 * or size changes.
 */
export class PriceFiles {
  private readonly root: string;
  private readonly cache = new Map<string, CachedPrice>();

  constructor(
    root: string,
    private readonly onInvalid: (error: PriceConfigError) => void,
  ) {
    this.root = resolve(root);
  }

  /**
   * Price of the file at decoded URL path `path`, or `undefined` when it has no `.mm` file or
   * does not exist (so the static server answers 404 instead of the shop charging for nothing).
   * A directory path (`/dir/`) is priced by `dir/index.html.mm`.
   * Throws {@link PriceConfigError} for a price file that is not one whole number of coins.
   */
  async priceOf(path: string): Promise<number | undefined> {
    if (path.includes('\0')) return undefined;
    const file = join(this.root, path.endsWith('/') ? `${path}index.html` : path);
    // Outside the root the static server refuses anyway; never read price files from there.
    if (file !== this.root && !file.startsWith(this.root + sep)) return undefined;
    const mm = `${file}.mm`;
    const info = await statFile(mm);
    if (!info) return undefined;
    let cached = this.cache.get(mm);
    if (!cached || cached.mtimeMs !== info.mtimeMs || cached.size !== info.size) {
      cached = await this.read(mm, info);
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(mm, cached);
      if (cached.error) this.onInvalid(cached.error);
    }
    if (cached.error) throw cached.error;
    if (!(await statFile(file))) return undefined;
    return cached.price;
  }

  private async read(mm: string, info: { mtimeMs: number; size: number }): Promise<CachedPrice> {
    const base = { mtimeMs: info.mtimeMs, size: info.size };
    if (info.size > 64)
      return { ...base, error: new PriceConfigError(mm, `must hold one line with a whole number of coins, it has ${info.size} bytes`) };
    let text: string;
    try {
      text = await readFile(mm, 'utf8');
    } catch (e) {
      return { ...base, error: new PriceConfigError(mm, `cannot be read: ${(e as Error).message}`) };
    }
    const m = PRICE_LINE.exec(text);
    const price = m ? Number(m[1]) : NaN;
    if (!Number.isSafeInteger(price) || price < 1 || price > MAX_COINS_PER_PAYMENT)
      return {
        ...base,
        error: new PriceConfigError(
          mm,
          `must hold one line with a whole number of coins from 1 to ${MAX_COINS_PER_PAYMENT}, found ${JSON.stringify(text.slice(0, 40))}`,
        ),
      };
    return { ...base, price };
  }
}

async function statFile(path: string): Promise<{ mtimeMs: number; size: number } | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? { mtimeMs: s.mtimeMs, size: s.size } : undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return undefined;
    throw e;
  }
}
