/**
 * The broker's embedded store: one SQLite file (better-sqlite3, synchronous) behind the promise-returning
 * {@link Store}. Its transactions take turns: `transaction` holds the store's one lock from `BEGIN IMMEDIATE`
 * to `COMMIT`, and a statement called from outside that transaction waits for the lock, so it never reads
 * what a transaction has not committed, nor writes into it. Inside a transaction (the same async context),
 * statements run at once, and a nested `transaction` joins the open one.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Async } from './async.ts';
import { closeDatabase, openDatabase, type Db } from './open.ts';
import { SQLITE_REPOS, type Repos } from './repos.ts';
import type { Store } from './store.ts';

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
  /** Turns taken and not ended: the holder's and those waiting. */
  private turns = 0;

  /** True when the caller runs inside the open transaction. */
  isInside(): boolean {
    const t = this.inside.getStore();
    return t !== undefined && t === this.holder;
  }

  /** True when nobody holds the lock nor waits for it. */
  isFree(): boolean {
    return this.turns === 0;
  }

  /** Runs `fn` holding the lock, after every turn queued before it. */
  async hold<T>(fn: (turn: symbol) => Promise<T>): Promise<T> {
    const before = this.tail;
    let done!: () => void;
    this.tail = new Promise<void>((resolve) => (done = resolve));
    this.turns++;
    await before;
    const turn = Symbol('transaction');
    this.holder = turn;
    try {
      return await fn(turn);
    } finally {
      this.holder = undefined;
      this.turns--;
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
  const repos = Object.fromEntries(Object.entries(SQLITE_REPOS).map(([name, make]) => [name, gated(make(db), turns)])) as Repos;
  return {
    kind: 'sqlite',
    db,
    ...repos,
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
