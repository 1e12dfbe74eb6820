/**
 * The PostgreSQL server of the tests: the one `scripts/pg.sh` started (MICROMINT_PG_URL). Every test
 * on it runs: without a server they fail, saying how to start one (`npm test` in a package does).
 * Each store gets a fresh schema of its own, dropped when the test file ends.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresVendorStore, type PostgresStoreOptions } from '../src/index.ts';

/** The server's URL; throws (failing the test) when there is none. */
export function pgUrl(): string {
  const url = process.env.MICROMINT_PG_URL;
  if (!url) throw new Error('MICROMINT_PG_URL is not set: run the tests through `bash scripts/pg.sh` (the package test scripts do)');
  return url;
}

/** Fresh schemas for one test file, and a connection to look at them and drop them. */
export class PgSchemas {
  private readonly made: string[] = [];
  private admin: pg.Pool | undefined;

  /** On the server at `url` (default MICROMINT_PG_URL). */
  constructor(private readonly url?: string) {}

  private server(): string {
    return this.url ?? pgUrl();
  }

  /** A new schema name (not created: the store creates it). */
  fresh(): string {
    const name = `mm_test_${randomBytes(6).toString('hex')}`;
    this.made.push(name);
    return name;
  }

  /** A store in a fresh schema, or in `schema` (a second instance on the same data). */
  store(schema = this.fresh(), options: Partial<PostgresStoreOptions> = {}): PostgresVendorStore {
    return new PostgresVendorStore({ connectionString: this.server(), schema, ...options });
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
