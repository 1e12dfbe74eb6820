/**
 * What a URL costs: the `prices` option (route map and/or function) and `.mm` price files.
 * A `.mm` file is the thesis's convention: `foo.html.mm` beside `foo.html` holds one line,
 * the price in whole coins.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Request } from 'express';
import { aint, MAX_COINS_PER_PAYMENT } from '@micromint/shared';
import { DirectoryChanges } from './dir-changes.ts';
import { PriceConfigError } from './errors.ts';

/**
 * A price with the media type of what it sells, for `resource.mimeType` of the 402
 * (e.g. `{ price: 1, mimeType: 'application/json' }` for an API).
 */
export interface PriceRule {
  /** Price in coins, 1 to 1000. */
  price: number;
  /** Media type of the content, `type/subtype` without parameters. */
  mimeType?: string;
}

/**
 * Route -> price in coins, or a {@link PriceRule}. Keys are exact paths (`/api/quote`) or globs where
 * `*` matches any characters.
 */
export type PriceMap = Readonly<Record<string, number | PriceRule>>;

/** Price of a request in coins (or a {@link PriceRule}), or `undefined` when it is free. */
export type PriceFunction = (req: Request) => number | PriceRule | undefined | Promise<number | PriceRule | undefined>;

/** The `prices` option: a map, a function, or several of them consulted in order. */
export type PricesOption = PriceMap | PriceFunction | ReadonlyArray<PriceMap | PriceFunction>;

/** Throws unless `price` is a whole number of coins a single payment can carry. */
export function assertPrice(price: unknown, name = 'price'): asserts price is number {
  aint(price, 1, MAX_COINS_PER_PAYMENT, name);
}

/** A media type as `resource.mimeType` carries it: `type/subtype`, tokens of RFC 9110, no parameters. */
export const MIME_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$/;

/** Throws `TypeError` unless `value` is a string, `RangeError` unless it is a media type `type/subtype`. */
export function assertMimeType(value: unknown, name = 'mimeType'): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string such as 'application/json'`);
  if (!MIME_TYPE_PATTERN.test(value))
    throw new RangeError(
      `${name} must be a media type such as 'application/json' (type/subtype, no parameters), got ${JSON.stringify(value.slice(0, 80))}`,
    );
}

/** A price of the `prices` option, checked: a number of coins or a {@link PriceRule}. Throws TypeError / RangeError. */
export function toPriced(value: unknown, name: string): Priced {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const rule = value as Record<string, unknown>;
    for (const key of Object.keys(rule))
      if (key !== 'price' && key !== 'mimeType')
        throw new RangeError(`${name}: unknown member "${key}" (a price rule has price and mimeType)`);
    assertPrice(rule.price, `${name}.price`);
    if (rule.mimeType === undefined) return { price: rule.price };
    assertMimeType(rule.mimeType, `${name}.mimeType`);
    return { price: rule.price, mimeType: rule.mimeType };
  }
  assertPrice(value, name);
  return { price: value };
}

/** What a URL costs, and the media type its price rule declares (if it does). */
export interface Priced {
  price: number;
  mimeType?: string;
}

interface Glob {
  pattern: string;
  re: RegExp;
  /** The same pattern without regard to case. */
  reFolded: RegExp;
  priced: Priced;
}

/**
 * How the app matches its routes. Express's defaults are case-insensitive and non-strict (one
 * trailing slash is optional), so `app.get('/api/quote')` also answers `/API/QUOTE` and
 * `/api/quote/`: a price keyed `/api/quote` must cover those too, or they are served for free.
 * A router created with its own `caseSensitive`/`strict` options is not visible from here.
 */
export interface Routing {
  caseSensitive: boolean;
  strict: boolean;
}

/** The app's routing settings, as the request's app has them. */
export function routingOf(req: Request): Routing {
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
  private readonly rules: ({ exact: Map<string, Priced>; globs: Glob[] } | PriceFunction)[] = [];

  /** Validates every entry eagerly: keys must start with `/`, prices must be 1..1000 coins, media types `type/subtype`. */
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
      const exact = new Map<string, Priced>();
      const globs: Glob[] = [];
      for (const [route, value] of Object.entries(entry as PriceMap)) {
        if (!route.startsWith('/')) throw new RangeError(`${name}: route "${route}" must start with /`);
        const price = toPriced(value, `${name}["${route}"]`);
        if (route.includes('*')) {
          const source = route
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*');
          globs.push({ pattern: route, re: new RegExp(`^${source}$`), reFolded: new RegExp(`^${source}$`, 'i'), priced: price });
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
  async priceOf(req: Request, path: string): Promise<Priced | undefined> {
    let routing: Routing | undefined;
    for (const rule of this.rules) {
      if (typeof rule === 'function') {
        const price = await rule(req);
        if (price === undefined) continue;
        try {
          return toPriced(price, 'the price');
        } catch (e) {
          throw new PriceConfigError(
            'prices function',
            `returned ${typeof price === 'object' ? JSON.stringify(price).slice(0, 200) : String(price)}, not a whole number of coins from 1 to ${MAX_COINS_PER_PAYMENT}, a { price, mimeType } rule or undefined for free (${(e as Error).message})`,
          );
        }
      }
      const exact = rule.exact.get(path);
      if (exact !== undefined) return exact;
      const r = (routing ??= routingOf(req));
      const key = routeKey(path, r);
      for (const [route, price] of rule.exact) if (routeKey(route, r) === key) return price;
      const paths = r.strict ? [path] : [path, routeKey(path, { caseSensitive: true, strict: false })];
      for (const g of rule.globs) if (paths.some((p) => (r.caseSensitive ? g.re : g.reFolded).test(p))) return g.priced;
    }
    return undefined;
  }

  /**
   * The rules in the order {@link priceOf} applies them, for the price catalog (catalog.ts): per route
   * map its exact routes, then its globs most specific first; a price function as `{ match: 'dynamic' }`.
   */
  listed(): ListedPrice[] {
    return this.rules.flatMap((rule): ListedPrice[] =>
      typeof rule === 'function'
        ? [{ match: 'dynamic' }]
        : [
            ...[...rule.exact].map(([path, priced]) => ({ match: 'exact' as const, path, ...priced })),
            ...rule.globs.map((g) => ({ match: 'glob' as const, path: g.pattern, ...g.priced })),
          ],
    );
  }
}

/** A rule of the `prices` option as the catalog lists it. */
export type ListedPrice = ({ match: 'exact' | 'glob'; path: string } & Priced) | { match: 'dynamic' };

interface CachedPrice {
  /** When it was checked against the disk (performance.now()). */
  checkedAt: number;
  /** The directory's change number then (undefined: not watched, the interval alone applies). */
  generation: number | undefined;
  /** The `.mm` file as seen then; undefined when there is none (the URL is free). */
  mm?: { mtimeMs: number; size: number };
  price?: number;
  error?: PriceConfigError;
  /** Whether the content file beside it exists (a `.mm` without it charges nothing). */
  content: boolean;
}

const PRICE_LINE = /^[ \t]*([0-9]{1,7})[ \t]*(\r?\n)?$/;
const MAX_CACHED = 10_000;
/** Longest a price (or its absence) is used without looking at the disk again, in ms. */
export const PRICE_RECHECK_MS = 1000;

/**
 * Reads `.mm` price files under `root`. What it found for a path (the price, a broken file, no
 * file) is kept and used without touching the disk while nothing changed in its directory
 * (`fs.watch`, see {@link DirectoryChanges}) and for at most `recheckMs`; then the file is looked
 * at again (stat) and re-read only when its mtime or size changed.
 */
export class PriceFiles {
  private readonly root: string;
  private readonly cache = new Map<string, CachedPrice>();
  private readonly reading = new Map<string, Promise<CachedPrice>>();
  private readonly changes: DirectoryChanges | undefined;
  private readonly recheckMs: number;

  constructor(
    root: string,
    private readonly onInvalid: (error: PriceConfigError) => void,
    o: { recheckMs?: number; watch?: boolean } = {},
  ) {
    this.root = resolve(root);
    this.recheckMs = o.recheckMs ?? PRICE_RECHECK_MS;
    this.changes = o.watch === false ? undefined : new DirectoryChanges();
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
    let cached = this.cache.get(mm);
    if (!cached || !this.fresh(cached, mm)) cached = await this.recheck(mm, file);
    if (cached.error) throw cached.error;
    return cached.content ? cached.price : undefined;
  }

  /** Stops watching directories. */
  close(): void {
    this.changes?.close();
  }

  private fresh(c: CachedPrice, mm: string): boolean {
    if (performance.now() - c.checkedAt >= this.recheckMs) return false;
    return c.generation === undefined || this.changes!.unchanged(dirname(mm), c.generation);
  }

  /** Looks at the disk again for `mm` (one look at a time per file). */
  private recheck(mm: string, file: string): Promise<CachedPrice> {
    let pending = this.reading.get(mm);
    if (!pending) {
      pending = this.look(mm, file).finally(() => this.reading.delete(mm));
      this.reading.set(mm, pending);
    }
    return pending;
  }

  private async look(mm: string, file: string): Promise<CachedPrice> {
    const before = this.cache.get(mm);
    // The change number is taken before the disk is read: a change meanwhile makes this look stale at once.
    const generation = this.changes?.generation(dirname(mm));
    const checkedAt = performance.now();
    const info = await statFile(mm);
    let next: CachedPrice;
    if (!info) next = { checkedAt, generation, content: false };
    else {
      const same = before?.mm && before.mm.mtimeMs === info.mtimeMs && before.mm.size === info.size;
      const read = same ? { price: before.price, error: before.error } : await this.read(mm, info);
      if (!same && read.error) this.onInvalid(read.error);
      next = {
        checkedAt,
        generation,
        mm: info,
        ...(read.price !== undefined ? { price: read.price } : {}),
        ...(read.error ? { error: read.error } : {}),
        content: read.error ? false : (await statFile(file)) !== undefined,
      };
    }
    if (!before && this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(mm, next);
    return next;
  }

  private async read(mm: string, info: { size: number }): Promise<{ price?: number; error?: PriceConfigError }> {
    if (info.size > 64)
      return { error: new PriceConfigError(mm, `must hold one line with a whole number of coins, it has ${info.size} bytes`) };
    let text: string;
    try {
      text = await readFile(mm, 'utf8');
    } catch (e) {
      return { error: new PriceConfigError(mm, `cannot be read: ${(e as Error).message}`) };
    }
    const m = PRICE_LINE.exec(text);
    const price = m ? Number(m[1]) : NaN;
    if (!Number.isSafeInteger(price) || price < 1 || price > MAX_COINS_PER_PAYMENT)
      return {
        error: new PriceConfigError(
          mm,
          `must hold one line with a whole number of coins from 1 to ${MAX_COINS_PER_PAYMENT}, found ${JSON.stringify(text.slice(0, 40))}`,
        ),
      };
    return { price };
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
