/**
 * The broker's embedded store: one SQLite file (better-sqlite3, synchronous) behind the promise-returning
 * {@link Store}. Its transactions take turns: `transaction` holds the store's one lock from `BEGIN IMMEDIATE`
 * to `COMMIT`, and a statement called from outside that transaction waits for the lock, so it never reads
 * what a transaction has not committed, nor writes into it. Inside a transaction (the same async context),
 * statements run at once, and a nested `transaction` joins the open one.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { accountsRepo } from './accounts.ts';
import type { Async } from './async.ts';
import { chainsRepo } from './chains.ts';
import { complaintsRepo } from './complaints.ts';
import { creditsRepo } from './credits.ts';
import { earningsRepo } from './earnings.ts';
import { epochsRepo } from './epochs.ts';
import { closeDatabase, openDatabase, type Db } from './open.ts';
import { paywordKeysRepo } from './payword-keys.ts';
import { redemptionsRepo } from './redemptions.ts';
import { refusalsRepo } from './refusals.ts';
import { setsRepo } from './sets.ts';
import type { Store } from './store.ts';
import { tokensRepo } from './tokens.ts';
import { vendorSessionsRepo } from './vendor-sessions.ts';
import { vendorsRepo } from './vendors.ts';

/** A {@link Store} on SQLite; `db` is the connection itself (migrations, tests, the mint). */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly db: Db;
}

/** The store's one lock: who holds it, and the turns waiting for it. */
class Turns {
  /** The async context of the open transaction: its statements run without waiting. */
  readonly inside = new AsyncLocalStorage<symbol>();
  private holder: symbol | undefined;
  private tail: Promise<void> = Promise.resolve();

  /** True when the caller runs inside the open transaction. */
  isInside(): boolean {
    const t = this.inside.getStore();
    return t !== undefined && t === this.holder;
  }

  /** True when nobody holds the lock nor waits for it. */
  isFree(): boolean {
    return this.holder === undefined && this.waiting === 0;
  }

  private waiting = 0;

  /** Runs `fn` holding the lock, after every turn queued before it. */
  async hold<T>(fn: (turn: symbol) => Promise<T>): Promise<T> {
    const before = this.tail;
    let done!: () => void;
    this.tail = new Promise<void>((resolve) => (done = resolve));
    this.waiting++;
    await before;
    this.waiting--;
    const turn = Symbol('transaction');
    this.holder = turn;
    try {
      return await fn(turn);
    } finally {
      this.holder = undefined;
      done();
    }
  }
}

/** `repo` with each method returning a promise, run now when the caller may, else at the caller's turn. */
function gated<R extends object>(repo: R, turns: Turns): Async<R> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(repo)) {
    if (typeof value !== 'function') continue;
    const method = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]): Promise<unknown> => {
      if (turns.isInside() || turns.isFree()) {
        try {
          return Promise.resolve(method(...args));
        } catch (e) {
          return Promise.reject(e as Error);
        }
      }
      return turns.hold(async () => method(...args));
    };
  }
  return out as Async<R>;
}

/**
 * Opens the store at `dbPath` (created and migrated when needed).
 * @example
 * const store = openSqliteStore('broker.db');
 * const epoch = await store.epochs.current(new Date());
 */
export function openSqliteStore(dbPath: string): SqliteStore {
  const db = openDatabase(dbPath);
  const turns = new Turns();
  const g = <R extends object>(repo: R) => gated(repo, turns);
  return {
    kind: 'sqlite',
    db,
    epochs: g(epochsRepo(db)),
    accounts: g(accountsRepo(db)),
    sets: g(setsRepo(db)),
    vendors: g(vendorsRepo(db)),
    complaints: g(complaintsRepo(db)),
    credits: g(creditsRepo(db)),
    refusals: g(refusalsRepo(db)),
    redemptions: g(redemptionsRepo(db)),
    paywordKeys: g(paywordKeysRepo(db)),
    chains: g(chainsRepo(db)),
    tokens: g(tokensRepo(db)),
    vendorSessions: g(vendorSessionsRepo(db)),
    earnings: g(earningsRepo(db)),
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (turns.isInside()) return fn();
      return turns.hold(async (turn) => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await turns.inside.run(turn, fn);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      });
    },
    async close(): Promise<void> {
      await turns.hold(async () => closeDatabase(db));
    },
  };
}
