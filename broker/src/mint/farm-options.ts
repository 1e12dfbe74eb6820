/**
 * Where a minting farm's queue lives: a PostgreSQL server and a schema of its own, checked eagerly (a wrong
 * option throws before any connection is made). The farm database holds each job's secret ball seed and, once
 * ranges are done, the counters that give the balls: it is as secret as the mint database itself.
 * @module
 */
import { aobject } from '@micromint/shared';
import { assertPostgresUrl, assertSchemaName } from '@micromint/shared/postgres';

/** Where the farm's queue is. */
export interface FarmOptions {
  /** `postgres://user:password@host:port/database`: every coordinator and worker of the farm uses the same server. */
  connectionString: string;
  /** The PostgreSQL schema of the queue's tables, created if missing (default `micromint_farm`). */
  schema?: string;
}

/** Defaults of {@link FarmOptions}. */
export const FARM_DEFAULTS = { schema: 'micromint_farm' } as const;

/**
 * Checks that `value` is a `postgres://` URL naming a host; never echoes it (it may hold a password).
 * @example
 * assertFarmUrl('postgres://mint:secret@10.0.0.5:5432/farm'); // passes
 * assertFarmUrl('farm.db'); // RangeError: farm must be a postgres:// URL ...
 */
export function assertFarmUrl(value: unknown, name = 'farm'): asserts value is string {
  assertPostgresUrl(value, name, 'postgres://user:password@127.0.0.1:5432/farm');
}

/**
 * Checks farm options and fills in the defaults.
 * @example
 * const farm = resolveFarmOptions({ connectionString: process.env.MINT_FARM_URL! });
 * farm.schema; // 'micromint_farm'
 */
export function resolveFarmOptions(o: FarmOptions): Required<FarmOptions> {
  aobject(o, 'farm options');
  for (const key of Object.keys(o))
    if (key !== 'connectionString' && key !== 'schema') throw new RangeError(`farm options: unknown option "${key}"`);
  assertFarmUrl(o.connectionString, 'farm.connectionString');
  const schema = o.schema ?? FARM_DEFAULTS.schema;
  assertSchemaName(schema, 'farm.schema');
  return { connectionString: o.connectionString, schema };
}

/**
 * Checks a duration in seconds (a whole number or not) within `min`..`max`.
 * @example
 * aseconds(60, 1, 3600, 'leaseSeconds');
 */
export function aseconds(value: unknown, min: number, max: number, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a number of seconds`);
  if (value < min || value > max) throw new RangeError(`${name} must be between ${min} and ${max} seconds, got ${value}`);
}
