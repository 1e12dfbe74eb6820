/**
 * The checks `@micromint/shared/postgres` gives the Postgres stores: a server URL (never echoed, it
 * may hold a password) and a schema name. The migration runner runs against a real server in the
 * middleware's and the broker's Postgres tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPostgresUrl, assertSchemaName, quoteIdent } from '../src/postgres.ts';

test('a postgres:// or postgresql:// URL with a host passes; anything else is a RangeError that does not echo it', () => {
  assertPostgresUrl('postgres://shop:secret@127.0.0.1:5432/shop', 'connectionString');
  assertPostgresUrl('postgresql://db.internal/shop?sslmode=require', 'connectionString');
  for (const bad of ['shop.db', 'http://user:secret@127.0.0.1/db', 'postgres://', 'postgres:///shop', 'not a url secret']) {
    assert.throws(
      () => assertPostgresUrl(bad, '--farm', 'postgres://user:password@127.0.0.1:5432/farm'),
      (e: Error) =>
        e instanceof RangeError &&
        /^--farm must be a postgres:\/\/ URL with a host, such as postgres:\/\/user:password@127\.0\.0\.1:5432\/farm$/.test(e.message) &&
        !e.message.includes('secret'),
      bad,
    );
  }
  assert.throws(() => assertPostgresUrl(42, 'connectionString'), TypeError);
  assert.throws(() => assertPostgresUrl('postgres://h/' + 'x'.repeat(5000), 'connectionString'), RangeError);
});

test('a schema name is lower-case letters, digits and _, not starting with a digit, at most 63 characters', () => {
  for (const good of ['micromint', 'micromint_farm', '_x1', 'a'.repeat(63)]) assertSchemaName(good, 'schema');
  for (const bad of ['Shop', '1shop', 'shop-a', 'sh"op', '', 'a'.repeat(64)])
    assert.throws(() => assertSchemaName(bad, 'schema'), RangeError, bad);
  assert.throws(() => assertSchemaName(undefined, 'schema'), TypeError);
  assert.equal(quoteIdent('micromint'), '"micromint"');
});
