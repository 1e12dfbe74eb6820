/**
 * The check of a PostgreSQL server's URL, shared by every part that takes one (the vendor's
 * Postgres store, the broker's minting farm, their command lines). It never echoes the URL, which
 * may hold a password.
 * @module
 */
import { astring } from './assert.ts';

/**
 * Checks that `value` is a `postgres://` or `postgresql://` URL naming a host (at most 4096
 * characters). `example` ends the message: the URL a reader of that part would write.
 * @example
 * assertPostgresUrl('postgres://shop:secret@127.0.0.1:5432/shop', 'connectionString'); // passes
 * assertPostgresUrl('shop.db', 'farm'); // RangeError: farm must be a postgres:// URL with a host, such as ...
 */
export function assertPostgresUrl(
  value: unknown,
  name: string,
  example = 'postgres://user:password@127.0.0.1:5432/shop',
): asserts value is string {
  astring(value, name, 4096);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname)
    throw new RangeError(`${name} must be a postgres:// URL with a host, such as ${example}`);
}
