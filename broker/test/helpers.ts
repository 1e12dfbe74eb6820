/**
 * Test helpers: a broker on a real HTTP server at 127.0.0.1:<random port> over a temp SQLite file, or, with
 * MICROMINT_BROKER_STORE=postgres, over a fresh schema of the test PostgreSQL server (dropped when the test file
 * ends); SQL that reads either; a tiny cookie-keeping browser, coin builders, and PayWord chain builders (all
 * chain math from shared).
 */
import { hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import {
  BALL_BYTES,
  PARAMETER_SETS,
  ballPreimage,
  buildChain,
  buildCoin,
  chainIdOf,
  encodeCommitment,
  linkAt,
  newAgreementKey,
  signRequest,
  type BuiltChain,
  type Commitment,
  coinStarts,
  decodeFundsWithdrawn,
  setBall,
  slotOfDigest,
  toBase64,
  vendorOffsets,
  type EpochParams,
  type FundsWithdrawn,
} from '@micromint/shared';
import { openPostgresStore, type PostgresStore } from '../src/db/pg/store.ts';
import { openStore, type SqliteStore, type Store } from '../src/db/store.ts';
import { createBroker, mintEpoch, type Broker, type BrokerOptions, type MintSummary } from '../src/index.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

/** The database the suite runs the broker on: MICROMINT_BROKER_STORE, `sqlite` (the default) or `postgres`. */
export const STORE_KIND: 'sqlite' | 'postgres' = storeKind(process.env.MICROMINT_BROKER_STORE);

function storeKind(value: string | undefined): 'sqlite' | 'postgres' {
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgres') return 'postgres';
  throw new RangeError(`MICROMINT_BROKER_STORE must be "sqlite" or "postgres", not "${value}"`);
}

const schemas = new PgSchemas();
after(() => schemas.dropAll());

/** Where a test's store is: a SQLite file, or a PostgreSQL schema. */
export type StoreOptions = { dbPath: string } | { postgres: { connectionString: string; schema: string } };

/**
 * A new store's place for a test: `dir`/`name` on SQLite; on PostgreSQL (the switch, unless `sqlite` is
 * asked for: tests of the SQLite file itself) a fresh schema, dropped when the test file ends.
 */
export function testStoreOptions(dir: string, o: { sqlite?: boolean; name?: string } = {}): StoreOptions {
  if (STORE_KIND === 'sqlite' || o.sqlite) return { dbPath: join(dir, o.name ?? 'broker.db') };
  return { postgres: { connectionString: pgUrl(), schema: schemas.fresh() } };
}

/** Opens (creating or migrating) the store `o` names. */
export async function openTestStore(o: StoreOptions): Promise<Store> {
  return 'dbPath' in o ? openStore(o.dbPath) : openPostgresStore(o.postgres);
}

/** `store` as the SQLite store it must be (for a test of the SQLite file). */
export function sqliteOf(store: Store): SqliteStore {
  if (store.kind !== 'sqlite') throw new TypeError(`a SQLite store was expected, not ${store.kind}`);
  return store as SqliteStore;
}

/** SQL a test reads a store with, on either database: `?` placeholders; tables both schemas have. */
export interface StoreSql {
  /** Every row (none for a statement that returns none). */
  rows<R = Record<string, unknown>>(text: string, ...args: unknown[]): Promise<R[]>;
  /** The first column of every row. */
  column<T = unknown>(text: string, ...args: unknown[]): Promise<T[]>;
  /** The first column of the first row (undefined without a row). */
  value<T = unknown>(text: string, ...args: unknown[]): Promise<T>;
}

/** {@link StoreSql} on `store`'s own database. */
export function storeSql(store: Store): StoreSql {
  const rows = async <R>(text: string, args: unknown[]): Promise<R[]> => {
    if (store.kind === 'sqlite') {
      const statement = sqliteOf(store).db.prepare(text);
      if (!statement.reader) {
        statement.run(...args);
        return [];
      }
      return statement.all(...args) as R[];
    }
    let n = 0;
    return (store as PostgresStore).database.query<R>(
      text.replace(/\?/g, () => `$${++n}`),
      args,
    );
  };
  const first = (row: unknown): unknown => (row === undefined ? undefined : Object.values(row as object)[0]);
  return {
    rows: (text, ...args) => rows(text, args),
    column: async <T>(text: string, ...args: unknown[]) => (await rows(text, args)).map(first) as T[],
    value: async <T>(text: string, ...args: unknown[]) => first((await rows(text, args))[0]) as T,
  };
}

export interface TestBroker {
  broker: Broker;
  base: string;
  mint?: MintSummary;
  dir: string;
  /** Where its store is: pass them again to start another broker on the same data. */
  storeOptions: StoreOptions;
  /** SQL on its store. */
  sql: StoreSql;
  stop(): Promise<void>;
}

/** A clock tests move: pass `now: clock.now` to the broker. Starts at the real time. */
export class TestClock {
  private t: number;
  constructor(start: number | Date = Date.now()) {
    this.t = +start;
  }
  readonly now = (): Date => new Date(this.t);
  /** Sets the time (an ISO 8601 string, ms since 1970 or a Date). */
  set(at: string | number | Date): void {
    this.t = typeof at === 'string' ? Date.parse(at) : +at;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A broker's settings, without where its store is (the helpers choose). */
export type TestBrokerOptions = Partial<Omit<BrokerOptions, 'dbPath' | 'postgres'>>;

/**
 * Starts a broker; its publicUrl is the real address. Mints a `test` epoch unless `mint: false`, at the
 * broker's clock, valid `validSeconds` (default 30 days). Its store follows MICROMINT_BROKER_STORE unless
 * `sqlite: true` or a `dbPath` (a test that looks into the SQLite file) is given, or `store` names one.
 */
export async function startBroker(
  o: TestBrokerOptions & { mint?: boolean; validSeconds?: number; sqlite?: boolean; dbPath?: string; store?: StoreOptions } = {},
): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-broker-'));
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { mint = true, validSeconds, sqlite, dbPath, store, ...options } = o;
  const storeOptions = store ?? (dbPath ? { dbPath } : testStoreOptions(dir, { sqlite: sqlite ?? false }));
  // Tests sign many users up from one address: a generous budget unless a test sets its own.
  const broker = await createBroker({ ...storeOptions, publicUrl: base, authAttemptsPerMinute: 10_000, ...options });
  server.on('request', broker.app);
  const summary = mint
    ? await mintEpoch({
        store: broker.store,
        params: PARAMETER_SETS.test,
        workers: 2,
        now: broker.context.now(),
        ...(validSeconds ? { validSeconds } : {}),
      })
    : undefined;
  return {
    broker,
    base,
    dir,
    storeOptions,
    sql: storeSql(broker.store),
    ...(summary ? { mint: summary } : {}),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client that keeps cookies and sends this site's Origin on POST, like a browser. */
export class Browser {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async get(path: string): Promise<{ res: Response; text: string }> {
    const res = await fetch(this.base + path, { redirect: 'manual', headers: this.cookieHeader() });
    this.remember(res);
    return { res, text: await res.text() };
  }

  /** Posts a form; `csrf` defaults to the token of the last page fetched from `from`. */
  async post(
    path: string,
    form: Record<string, string>,
    o: { origin?: string | null; csrf?: string } = {},
  ): Promise<{ res: Response; text: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader() };
    if (o.origin !== null) headers.origin = o.origin ?? this.base;
    const body = new URLSearchParams({ ...(o.csrf !== undefined ? { _csrf: o.csrf } : {}), ...form });
    const res = await fetch(this.base + path, { method: 'POST', redirect: 'manual', headers, body });
    this.remember(res);
    return { res, text: await res.text() };
  }

  /** GETs `page` and returns the CSRF token in its forms. */
  async csrf(page: string): Promise<string> {
    const { text } = await this.get(page);
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (!m) throw new Error(`no CSRF token on ${page}`);
    return m[1]!;
  }

  /** Signs up (and so logs in) a new user; returns the user ID shown on the account page. */
  async signUp(email: string, password = 'correct horse battery'): Promise<string> {
    const csrf = await this.csrf('/signup');
    const { res } = await this.post('/signup', { email, password }, { csrf });
    if (res.status !== 303) throw new Error(`sign-up failed: ${res.status}`);
    const { text } = await this.get('/account');
    return /id="user-id">(u_[0-9a-f]{16})</.exec(text)![1]!;
  }

  /** Connects a wallet key (base64) through the account page's form, as the extension and the user do. */
  async connectWallet(walletKey: string): Promise<{ res: Response; text: string }> {
    const csrf = await this.csrf('/account');
    return this.post('/account/wallet-key', { walletKey }, { csrf });
  }

  /**
   * Signs in to the vendor dashboard with `apiKey` (the form, then the redirect it answers with); returns the
   * page shown: the dashboard, or the form again with a 401.
   */
  async vendorSignIn(apiKey: string): Promise<{ res: Response; text: string }> {
    const signIn = await this.post('/vendors/dashboard', { apiKey }, { csrf: await this.csrf('/vendors/dashboard') });
    return signIn.res.status === 303 ? this.get(signIn.res.headers.get('location')!) : signIn;
  }

  async addFunds(dollars: string): Promise<Response> {
    const csrf = await this.csrf('/account');
    return (await this.post('/account/funds', { provider: 'sandbox', amount: dollars }, { csrf })).res;
  }

  /** Buys sets through the page; returns the Funds-Withdrawn text embedded in the delivery page. */
  async buy(count: number): Promise<{ withdrawalId: string; text: string; page: string }> {
    const csrf = await this.csrf('/account');
    const { res } = await this.post('/account/buy', { count: String(count) }, { csrf });
    if (res.status !== 303) throw new Error(`buying failed: ${res.status}`);
    const location = res.headers.get('location')!;
    const { text: page } = await this.get(location);
    const m =
      /<script type="application\/x-micromint" class="micromint-funds" data-withdrawal-id="(w_[0-9a-f]{16})">([\s\S]*?)<\/script>/.exec(
        page,
      );
    if (!m) throw new Error('no funds script on the delivery page');
    return { withdrawalId: m[1]!, text: m[2]!, page };
  }
}

/** Every coin the sets of `fw` can pay at `vendorId`. */
export function coinsFor(fw: FundsWithdrawn, vendorId: string): Uint8Array[] {
  const vh = vendorOffsets(fw.epoch, vendorId);
  const out: Uint8Array[] = [];
  for (const set of fw.sets) for (const s1 of coinStarts(fw.epoch, set, vh)) out.push(buildCoin(fw.epoch, set, vh, s1)!);
  return out;
}

/** A redemption entry for a coin. */
export const entry = (
  fw: FundsWithdrawn,
  coin: Uint8Array,
  vendorId: string,
  o: Partial<{ userId: string; epoch: string; url: string; paidAt: string }> = {},
) => ({
  epoch: o.epoch ?? fw.epoch.id,
  userId: o.userId ?? fw.userId,
  coin: toBase64(coin),
  url: o.url ?? `${vendorId}/article/1`,
  paidAt: o.paidAt ?? new Date().toISOString(),
});

/** A ball other than `x` that hashes into the same slot: a forger's ball (2^(t+u+v) tries on average). */
export function forgeBall(p: EpochParams, x: Uint8Array, target: { superbin: number; subbin: number }): Uint8Array {
  const pre = ballPreimage(p.key);
  const candidate = new Uint8Array(BALL_BYTES);
  const view = new DataView(candidate.buffer);
  view.setUint32(0, 0xf0f0f0f0); // never of the minter's form (8 zero bytes || counter)
  for (let i = 1; ; i++) {
    view.setUint32(8, Math.floor(i / 2 ** 32));
    view.setUint32(12, i >>> 0);
    setBall(pre, candidate);
    const d = hash('sha256', pre, 'buffer');
    const s = slotOfDigest(p, d);
    if (s.fixedOk && s.superbin === target.superbin && s.subbin === target.subbin && !Buffer.from(candidate).equals(Buffer.from(x)))
      return candidate.slice();
  }
}

export { decodeFundsWithdrawn };

/** JSON POST helper. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** A chain a test wallet made: its commitment (decoded and as bytes), chain id and links. */
export interface TestChain {
  commitment: Commitment;
  bytes: Uint8Array;
  chainId: string;
  built: BuiltChain;
  /** w_i. */
  link(i: number): Uint8Array;
}

/**
 * Makes a chain of `length` links worth `value` mills each, committed to `vendorId` / `vendorKey` at
 * `broker` for `userId`, expiring at `expiresAt` (Unix seconds).
 */
export function makeChain(o: {
  broker: string;
  userId: string;
  vendorId: string;
  vendorKey: Uint8Array;
  length: number;
  value: number;
  expiresAt: number;
}): TestChain {
  const seed = new Uint8Array(randomBytes(32));
  const salt = new Uint8Array(randomBytes(16));
  const built = buildChain(seed, salt, o.length);
  const commitment: Commitment = {
    broker: o.broker,
    userId: o.userId,
    vendorId: o.vendorId,
    vendorKey: o.vendorKey,
    walletKey: newAgreementKey().publicKey,
    root: built.root,
    salt,
    length: o.length,
    value: o.value,
    expiresAt: o.expiresAt,
  };
  const bytes = encodeCommitment(commitment);
  return { commitment, bytes, chainId: chainIdOf(bytes), built, link: (i) => linkAt(salt, built.checkpoints, i) };
}

/** The body of `POST /api/payword/chains`: the commitment signed by the wallet key `walletSecret`. */
export const chainRequestBody = (chain: TestChain, wallet: { secretKey: Uint8Array; publicKey: Uint8Array }) => ({
  commitment: toBase64(chain.bytes),
  walletKey: toBase64(wallet.publicKey),
  signature: toBase64(signRequest(wallet.secretKey, chain.bytes)),
});

/** A `chains` entry of a redemption request: link w_index (or `link`) of `chain`. */
export const clearEntry = (chain: TestChain, index: number, link: Uint8Array = chain.link(index)) => ({
  commitment: toBase64(chain.bytes),
  index,
  link: toBase64(link),
});

/** Whole Unix seconds of a clock's time. */
export const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
