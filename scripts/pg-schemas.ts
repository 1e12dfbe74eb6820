/**
 * The PostgreSQL server of the tests and the bench: the one `scripts/pg.sh` started (MICROMINT_PG_URL).
 * Every test on it runs: without a server they fail, saying how to start one (each package's `npm test`
 * does). Each test file makes fresh schemas of its own, dropped when it ends. The middleware's and the
 * broker's tests share this; the middleware's adds a vendor store per schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server's URL; throws (failing the test) when there is none. */
export function pgUrl(): string {
  const url = process.env.MICROMINT_PG_URL;
  if (!url) throw new Error('MICROMINT_PG_URL is not set: run the tests through `bash scripts/pg.sh` (the package test scripts do)');
  return url;
}

/** Fresh schema names for one test file, and a connection to look into them and drop them. */
export class PgSchemas {
  private readonly made: string[] = [];
  private admin: pg.Pool | undefined;

  /** On the server at `url` (default MICROMINT_PG_URL). */
  constructor(private readonly url?: string) {}

  /** The server's URL. */
  protected server(): string {
    return this.url ?? pgUrl();
  }

  /** A new schema name (not created: the code under test creates it). */
  fresh(): string {
    const name = `mm_test_${randomBytes(6).toString('hex')}`;
    this.made.push(name);
    return name;
  }

  /** Runs SQL as the test (owner of every schema). */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    this.admin ??= new pg.Pool({ connectionString: this.server(), max: 2 });
    return (await this.admin.query<R>(text, values)).rows;
  }

  /** A connection of its own (for a transaction the test holds open); end it after. */
  async client(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.server() });
    await client.connect();
    return client;
  }

  /** Drops every schema made, and closes the connection. */
  async dropAll(): Promise<void> {
    if (this.made.length === 0 && !this.admin) return;
    for (const name of this.made.splice(0)) await this.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await this.admin?.end();
    this.admin = undefined;
  }
}
