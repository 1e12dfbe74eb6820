/**
 * What every broker store's repositories look like: the SQLite repositories' methods, each returning a
 * promise. The SQLite store wraps its synchronous repositories (sqlite-store.ts); the PostgreSQL store's
 * repositories (pg/) are written to the same types.
 * @module
 */

/**
 * `R` with every method returning a promise of what it returned.
 * @example
 * type Accounts = Async<ReturnType<typeof accountsRepo>>;
 * const balance: Promise<number> = accounts.balance('user', userId);
 */
export type Async<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : never;
};
