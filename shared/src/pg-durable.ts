/**
 * The check both Postgres stores make before their first write: that a commit is on disk when it returns.
 * With `synchronous_commit = off` PostgreSQL answers COMMIT before the WAL is flushed, so a crash of the
 * server could lose what a store said was recorded.
 * @module
 */

/** A pool or connection, as `pg`'s: anything with `query`. */
export interface PgQueryable {
  query(text: string): Promise<{ rows: unknown[] }>;
}

/**
 * Throws when the server's commits are not durable for this connection; `lost` says what would be lost
 * ("a payment could be lost after its content was sent").
 * @example
 * await assertDurableCommits(pool, 'a redemption could be lost after the vendor was told');
 */
export async function assertDurableCommits(db: PgQueryable, lost: string): Promise<void> {
  const { rows } = await db.query(`SELECT current_setting('synchronous_commit') AS s`);
  if ((rows[0] as { s: string }).s === 'off')
    throw new Error(
      `PostgreSQL has synchronous_commit = off: ${lost}. Turn it on for the store (ALTER ROLE <user> SET synchronous_commit = on).`,
    );
}
