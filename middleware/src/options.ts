/**
 * The options of `micromint()` and their eager validation: a wrong option throws at
 * construction (`TypeError` for a wrong type, `RangeError` for a wrong value), never on a request.
 * @module
 */
import { statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Request } from 'express';
import {
  aint,
  astring,
  MAX_LINK_VALUE,
  MICROMINT_SCHEME,
  micromintNetwork,
  PAYWORD_SCHEME,
  validateParams,
  type EpochParams,
} from '@micromint/shared';
import { PriceFiles, PriceRules, type PricesOption } from './prices.ts';
import { defaultPaywall, type PaywallRenderer } from './paywall.ts';
import { assertPostgresUrl } from './postgres-options.ts';
import { assertPaywordStore, assertVendorStore, type VendorStore } from './store.ts';

/** Where the middleware reports what an operator should know (default `console`). */
export interface MicroMintLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** Names of the schemes this middleware can take. */
export const SCHEME_NAMES = [MICROMINT_SCHEME, PAYWORD_SCHEME] as const;

/** A scheme this middleware can take: MicroMint coins, or PayWord-style hash chains. */
export type SchemeName = (typeof SCHEME_NAMES)[number];

/** Options of `micromint()`. Defaults are in the README's table. */
export interface MicroMintOptions {
  /** The site's origin, e.g. `http://127.0.0.1:4001` (required): coins are made out to it. */
  vendorId: string;
  /** The broker's base URL, e.g. `http://127.0.0.1:4000` (required). */
  broker: string;
  /** The vendor's API key at the broker, needed by `redeem()`. */
  apiKey?: string;
  /**
   * The schemes offered, in the site's order of preference: the order of `accepts` in every 402
   * (default `['micromint']`). `payword` needs `apiKey` (the vendor key is registered with it).
   */
  schemes?: readonly SchemeName[];
  /** Mills per payword link (default 1): a price of p mills is ceil(p / linkValue) links. */
  linkValue?: number;
  /** The epoch to accept; when absent it is fetched from `${broker}/api/epochs/current` on first need. */
  epoch?: EpochParams;
  /** Least seconds between two fetches of the broker's current epoch (default 60). */
  epochRefreshSeconds?: number;
  /** Static directory where `foo.html.mm` holds the price of `foo.html`; `.mm` files answer 404. */
  root?: string;
  /** Route map (`/exact`, `/glob/*`) and/or function giving prices in coins; consulted before `.mm` files. */
  prices?: PricesOption;
  /** Where payments are recorded (default: a `SqliteVendorStore` at `dbPath`). */
  store?: VendorStore;
  /**
   * A `postgres://` URL: payments are recorded in a `PostgresVendorStore` on that database (schema
   * `micromint`), for a site run as several processes or machines. Needs the `pg` package.
   */
  postgres?: string;
  /** Database file of the default store (default `.data/micromint-vendor.db`). */
  dbPath?: string;
  /** Seconds a browser that paid for a URL may view it again without paying; 0 turns it off (default 600). */
  accessWindowSeconds?: number;
  /**
   * Seconds after a payment during which the same payment sent again (a wallet's retry after a
   * lost answer or a crash) is served as paid; later it is refused as `already-spent`, so a leaked
   * `PAYMENT-SIGNATURE` is not a key for ever (default 3600, from 60 to 604800).
   */
  replayWindowSeconds?: number;
  /** The clock, in milliseconds since 1970 (default `Date.now`): payment times, windows, epoch expiry. */
  now?: () => number;
  /** Key of the access cookies' HMAC, at least 32 bytes (default: random per process, with a warning). */
  secret?: string | Uint8Array;
  /** Renders the HTML 402 page (default: a plain page with the price and a link to the wallet). */
  paywall?: PaywallRenderer;
  /** `maxTimeoutSeconds` of the offered requirements (default 60). */
  maxTimeoutSeconds?: number;
  /** Description of paid resources for the challenge and paywall: a string or a function of the request. */
  description?: string | ((req: Request) => string | undefined);
  /** Receives warnings and errors (default `console`). */
  logger?: MicroMintLogger;
  /** Publish the price catalog at `/.well-known/micromint` (default true; see catalog.ts). */
  catalog?: boolean;
}

/** Defaults of the optional settings. */
export const DEFAULTS = {
  dbPath: '.data/micromint-vendor.db',
  accessWindowSeconds: 600,
  maxTimeoutSeconds: 60,
  epochRefreshSeconds: 60,
  replayWindowSeconds: 3600,
  schemes: [MICROMINT_SCHEME] as readonly SchemeName[],
  linkValue: 1,
  catalog: true,
} as const;

const KNOWN = new Set<string>([
  'vendorId',
  'broker',
  'apiKey',
  'schemes',
  'linkValue',
  'epoch',
  'epochRefreshSeconds',
  'root',
  'prices',
  'store',
  'postgres',
  'dbPath',
  'accessWindowSeconds',
  'replayWindowSeconds',
  'now',
  'secret',
  'paywall',
  'maxTimeoutSeconds',
  'description',
  'logger',
  'catalog',
]);

/** Validated settings (stores are created by the caller). */
export interface Settings {
  vendorId: string;
  broker: string;
  network: string;
  apiKey: string | undefined;
  schemes: readonly SchemeName[];
  linkValue: number;
  epoch: EpochParams | undefined;
  epochRefreshMs: number;
  rules: PriceRules;
  files: PriceFiles | undefined;
  root: string | undefined;
  store: VendorStore | undefined;
  /** Connection URL of a Postgres store the middleware creates (instead of SQLite at `dbPath`). */
  postgres: string | undefined;
  dbPath: string;
  accessWindowSeconds: number;
  replayWindowSeconds: number;
  now: () => number;
  secret: Uint8Array;
  secure: boolean;
  paywall: PaywallRenderer;
  maxTimeoutSeconds: number;
  describe: (req: Request) => string | undefined;
  logger: MicroMintLogger;
  catalog: boolean;
}

/** Checks that `value` is an http(s) origin such as `http://127.0.0.1:4001` (no path, no trailing slash). */
export function assertOrigin(value: unknown, name: string): asserts value is string {
  astring(value, name, 512);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${name} must be an origin such as http://127.0.0.1:4001, got ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value)
    throw new RangeError(
      `${name} must be an origin such as http://127.0.0.1:4001 (scheme, host and port only), got ${JSON.stringify(value)}`,
    );
}

/** The `schemes` option: a non-empty list of known scheme names, each once. */
function resolveSchemes(value: unknown): readonly SchemeName[] {
  if (value === undefined) return DEFAULTS.schemes;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new TypeError(`schemes must be an array of scheme names (${SCHEME_NAMES.join(', ')})`);
  if (value.length === 0) throw new RangeError('schemes must name at least one scheme');
  for (const name of value)
    if (!(SCHEME_NAMES as readonly string[]).includes(name))
      throw new RangeError(`schemes: unknown scheme "${name}" (this middleware takes ${SCHEME_NAMES.join(', ')})`);
  if (new Set(value).size !== value.length) throw new RangeError('schemes must name each scheme once');
  return [...value] as SchemeName[];
}

/** Validates `options` and fills in defaults; throws at the first wrong option. */
export function resolveOptions(options: MicroMintOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new TypeError('micromint() needs an options object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw new RangeError(`micromint(): unknown option "${key}"`);
  const o = options;
  assertOrigin(o.vendorId, 'vendorId');

  astring(o.broker, 'broker', 2048);
  let brokerUrl: URL;
  try {
    brokerUrl = new URL(o.broker);
  } catch {
    throw new RangeError(`broker must be a URL such as http://127.0.0.1:4000, got ${JSON.stringify(o.broker)}`);
  }
  if ((brokerUrl.protocol !== 'http:' && brokerUrl.protocol !== 'https:') || brokerUrl.search || brokerUrl.hash || brokerUrl.username)
    throw new RangeError(`broker must be an http(s) base URL without query or credentials, got ${JSON.stringify(o.broker)}`);
  const broker = brokerUrl.href.replace(/\/+$/, '');

  if (o.apiKey !== undefined) astring(o.apiKey, 'apiKey', 4096);
  const schemes = resolveSchemes(o.schemes);
  if (schemes.includes(PAYWORD_SCHEME) && o.apiKey === undefined)
    throw new RangeError('the payword scheme needs apiKey: the vendor key is registered at the broker, and chains cleared, with it');
  const linkValue = o.linkValue ?? DEFAULTS.linkValue;
  aint(linkValue, 1, MAX_LINK_VALUE, 'linkValue');
  if (o.epoch !== undefined) validateParams(o.epoch);
  const epochRefreshSeconds = o.epochRefreshSeconds ?? DEFAULTS.epochRefreshSeconds;
  aint(epochRefreshSeconds, 0, 86_400, 'epochRefreshSeconds');

  let root: string | undefined;
  if (o.root !== undefined) {
    astring(o.root, 'root', 4096);
    root = resolve(o.root);
    let isDir: boolean;
    try {
      isDir = statSync(root).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new RangeError(`root must be an existing directory, got ${root}`);
  }
  const rules = new PriceRules(o.prices);

  if (o.store !== undefined) assertVendorStore(o.store);
  if (o.store !== undefined && schemes.includes(PAYWORD_SCHEME)) assertPaywordStore(o.store);
  const dbPath = o.dbPath ?? DEFAULTS.dbPath;
  astring(dbPath, 'dbPath', 4096);
  if (o.postgres !== undefined) assertPostgresUrl(o.postgres, 'postgres');
  if ([o.store, o.postgres, o.dbPath].filter((x) => x !== undefined).length > 1)
    throw new RangeError('give one of store, postgres and dbPath, not several');

  const accessWindowSeconds = o.accessWindowSeconds ?? DEFAULTS.accessWindowSeconds;
  aint(accessWindowSeconds, 0, 366 * 86_400, 'accessWindowSeconds');
  const replayWindowSeconds = o.replayWindowSeconds ?? DEFAULTS.replayWindowSeconds;
  aint(replayWindowSeconds, 60, 7 * 86_400, 'replayWindowSeconds');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('now must be a function returning milliseconds since 1970');
  const now = o.now ?? Date.now;

  const catalog = o.catalog ?? DEFAULTS.catalog;
  if (typeof catalog !== 'boolean') throw new TypeError('catalog must be true or false');

  const logger = o.logger ?? console;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function' || typeof logger.error !== 'function')
    throw new TypeError('logger must have warn and error functions');

  let secret: Uint8Array;
  if (o.secret === undefined) {
    secret = randomBytes(32);
    if (accessWindowSeconds > 0)
      logger.warn(
        'micromint: no `secret` option; access-window cookies are signed with a random key for this process only and stop working when it restarts',
      );
  } else if (typeof o.secret === 'string') {
    if (o.secret.length < 32) throw new RangeError('secret must be at least 32 characters');
    secret = new TextEncoder().encode(o.secret);
  } else if (o.secret instanceof Uint8Array) {
    if (o.secret.length < 32) throw new RangeError('secret must be at least 32 bytes');
    secret = o.secret.slice();
  } else throw new TypeError('secret must be a string or a Uint8Array');

  if (o.paywall !== undefined && typeof o.paywall !== 'function') throw new TypeError('paywall must be a function');
  const maxTimeoutSeconds = o.maxTimeoutSeconds ?? DEFAULTS.maxTimeoutSeconds;
  aint(maxTimeoutSeconds, 1, 86_400, 'maxTimeoutSeconds');

  let describe: (req: Request) => string | undefined;
  const d = o.description;
  if (d === undefined) describe = () => undefined;
  else if (typeof d === 'string') {
    astring(d, 'description', 1024);
    describe = () => d;
  } else if (typeof d === 'function') {
    describe = (req) => {
      const text = d(req);
      return typeof text === 'string' && text ? text.slice(0, 1024) : undefined;
    };
  } else throw new TypeError('description must be a string or a function');

  return {
    vendorId: o.vendorId,
    broker,
    network: micromintNetwork(broker),
    apiKey: o.apiKey,
    schemes,
    linkValue,
    epoch: o.epoch,
    epochRefreshMs: epochRefreshSeconds * 1000,
    rules,
    files: root
      ? new PriceFiles(root, (e) => logger.error(`micromint: invalid price file, answering 500 until it is fixed: ${e.message}`))
      : undefined,
    root,
    store: o.store,
    postgres: o.postgres,
    dbPath,
    accessWindowSeconds,
    replayWindowSeconds,
    now,
    secret,
    secure: o.vendorId.startsWith('https:'),
    paywall: o.paywall ?? defaultPaywall,
    maxTimeoutSeconds,
    describe,
    logger,
    catalog,
  };
}
