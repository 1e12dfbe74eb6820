/**
 * The minting farm's job queue on PostgreSQL: a job's counter space cut into ranges (rows) that workers on any
 * machine claim with `FOR UPDATE SKIP LOCKED` under a lease of the database's clock. A range whose lease ran out
 * (its worker was killed, or lost its connection) is claimed again by the next worker. Completion is first come:
 * a range done twice (after a lease expired) is the same result, and the later copy is dropped.
 * @module
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { resolveFarmOptions, type FarmOptions } from './farm-options.ts';
import { migrateFarm, quoteIdent } from './farm-schema.ts';
import { MAX_RANGE_COUNTERS } from './farm-winners.ts';

/** What every range of a job hashes. */
export interface FarmJobSpec {
  key: Uint8Array;
  seed: Uint8Array;
  t: number;
  u: number;
  v: number;
  fixed: number;
  /** Counters 0 .. hashes-1. */
  hashes: number;
}

/** A range a worker holds: counters [first, end) of a job, under a lease. */
export interface FarmClaim {
  job: string;
  range: number;
  first: number;
  end: number;
  /** 1 on the first claim of the range, more when earlier leases ran out. */
  claims: number;
  spec: FarmJobSpec;
}

/** A range done, as the coordinator reads it back. */
export interface FarmRangeResult {
  range: number;
  first: number;
  end: number;
  claims: number;
  doneBy: string;
  kernel: string;
  ballsCounted: number;
  winners: Uint8Array;
}

/** How far a job is. */
export interface FarmJobProgress {
  ranges: number;
  done: number;
  /** Counters of the ranges done, plus what workers reported of the ranges they hold. */
  hashes: number;
}

const INT8_OID = 20;

/** Ranges of `hashes` counters cut into about `count` pieces: [first, end) each, in order, none empty. */
export function cutRanges(hashes: number, count: number): { first: number; end: number }[] {
  const size = Math.ceil(hashes / count);
  if (size > MAX_RANGE_COUNTERS)
    throw new RangeError(`ranges must be at least ${Math.ceil(hashes / MAX_RANGE_COUNTERS)} for ${hashes} hashes`);
  const out: { first: number; end: number }[] = [];
  for (let first = 0; first < hashes; first += size) out.push({ first, end: Math.min(hashes, first + size) });
  return out;
}

/**
 * The queue: one small pool on the farm's server. Call {@link FarmQueue.open}, and `close()` at the end.
 * @example
 * const queue = await FarmQueue.open({ connectionString: url });
 * const claim = await queue.claim('host-a:1234', 60);
 * if (claim) await queue.complete(claim, 'host-a:1234', { kernel: 'native', ballsCounted, winners });
 * await queue.close();
 */
export class FarmQueue {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
  ) {}

  /** Connects to the farm's server and brings its schema up to date. */
  static async open(options: FarmOptions, poolSize = 2): Promise<FarmQueue> {
    const o = resolveFarmOptions(options);
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      max: poolSize,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      // Counters and counts are bigint columns, every one a safe integer: read them as numbers.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    pool.on('error', () => undefined);
    try {
      await migrateFarm(pool, o.schema);
    } catch (e) {
      await pool.end();
      throw e;
    }
    return new FarmQueue(pool, quoteIdent(o.schema));
  }

  /** Creates a job and its ranges (about `rangeCount` of them) in one transaction; returns the job's id. */
  async createJob(spec: FarmJobSpec, rangeCount: number): Promise<string> {
    const id = randomBytes(8).toString('hex');
    const ranges = cutRanges(spec.hashes, rangeCount);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${this.s}.jobs (id, key, seed, t, u, v, fixed, hashes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        id,
        Buffer.from(spec.key),
        Buffer.from(spec.seed),
        spec.t,
        spec.u,
        spec.v,
        spec.fixed,
        spec.hashes,
      ]);
      await client.query(
        `INSERT INTO ${this.s}.ranges (job, idx, first_counter, end_counter)
         SELECT $1, idx, first_counter, end_counter FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS r (idx, first_counter, end_counter)`,
        [id, ranges.map((_, i) => i), ranges.map((r) => r.first), ranges.map((r) => r.end)],
      );
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
    return id;
  }

  /**
   * Claims the first range not done and not leased (or whose lease ran out), oldest job first, for
   * `leaseSeconds`; null when there is none. Ranges other workers are claiming at this instant are skipped.
   */
  async claim(worker: string, leaseSeconds: number): Promise<FarmClaim | null> {
    const { rows } = await this.pool.query<{
      job: string;
      idx: number;
      first_counter: number;
      end_counter: number;
      claims: number;
      key: Buffer;
      seed: Buffer;
      t: number;
      u: number;
      v: number;
      fixed: number;
      hashes: number;
    }>(
      `UPDATE ${this.s}.ranges r
          SET worker = $1, lease_until = now() + make_interval(secs => $2), claims = r.claims + 1, progress = 0
         FROM (SELECT q.job, q.idx, j.key, j.seed, j.t, j.u, j.v, j.fixed, j.hashes
                 FROM ${this.s}.ranges q JOIN ${this.s}.jobs j ON j.id = q.job
                WHERE q.done_at IS NULL AND (q.lease_until IS NULL OR q.lease_until < now())
                ORDER BY j.created_at, q.job, q.idx
                LIMIT 1
                  FOR UPDATE OF q SKIP LOCKED) pick
        WHERE r.job = pick.job AND r.idx = pick.idx
    RETURNING r.job, r.idx, r.first_counter, r.end_counter, r.claims, pick.key, pick.seed, pick.t, pick.u, pick.v, pick.fixed, pick.hashes`,
      [worker, leaseSeconds],
    );
    const r = rows[0];
    if (!r) return null;
    const spec = { key: new Uint8Array(r.key), seed: new Uint8Array(r.seed), t: r.t, u: r.u, v: r.v, fixed: r.fixed, hashes: r.hashes };
    return { job: r.job, range: r.idx, first: r.first_counter, end: r.end_counter, claims: r.claims, spec };
  }

  /** Extends the lease of a range `worker` still holds and records its progress; false when it no longer holds it. */
  async renew(claim: FarmClaim, worker: string, leaseSeconds: number, progress: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.s}.ranges SET lease_until = now() + make_interval(secs => $4), progress = $5
        WHERE job = $1 AND idx = $2 AND worker = $3 AND done_at IS NULL`,
      [claim.job, claim.range, worker, leaseSeconds, progress],
    );
    return r.rowCount === 1;
  }

  /**
   * Records a range's result; true when it is the first, false when the range was done already (the same result,
   * from a worker that claimed it after this one's lease ran out) or its job is gone.
   */
  async complete(
    claim: FarmClaim,
    worker: string,
    result: { kernel: string; ballsCounted: number; winners: Uint8Array },
  ): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.s}.ranges
          SET done_at = now(), done_by = $3, kernel = $4, balls_counted = $5, winners = $6,
              progress = end_counter - first_counter, lease_until = NULL
        WHERE job = $1 AND idx = $2 AND done_at IS NULL`,
      [claim.job, claim.range, worker, result.kernel, result.ballsCounted, Buffer.from(result.winners)],
    );
    return r.rowCount === 1;
  }

  /** Ranges of every job not done yet (held or not): while there are some, a worker may still get one. */
  async openRanges(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.s}.ranges WHERE done_at IS NULL`);
    return rows[0]!.n;
  }

  /** How far a job is; null when there is no such job. */
  async progress(job: string): Promise<FarmJobProgress | null> {
    const { rows } = await this.pool.query<FarmJobProgress>(
      `SELECT count(*)::int AS ranges, count(done_at)::int AS done, coalesce(sum(progress), 0)::bigint AS hashes
         FROM ${this.s}.ranges WHERE job = $1`,
      [job],
    );
    return rows[0]!.ranges === 0 ? null : rows[0]!;
  }

  /** The ranges of a job that are done, in order. */
  async results(job: string): Promise<FarmRangeResult[]> {
    const { rows } = await this.pool.query<{
      idx: number;
      first_counter: number;
      end_counter: number;
      claims: number;
      done_by: string;
      kernel: string;
      balls_counted: number;
      winners: Buffer;
    }>(
      `SELECT idx, first_counter, end_counter, claims, done_by, kernel, balls_counted, winners
         FROM ${this.s}.ranges WHERE job = $1 AND done_at IS NOT NULL ORDER BY idx`,
      [job],
    );
    return rows.map((r) => ({
      range: r.idx,
      first: r.first_counter,
      end: r.end_counter,
      claims: r.claims,
      doneBy: r.done_by,
      kernel: r.kernel,
      ballsCounted: r.balls_counted,
      winners: new Uint8Array(r.winners),
    }));
  }

  /** Deletes a job, its seed and its ranges: workers holding one of them find it gone and drop their result. */
  async deleteJob(job: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.s}.jobs WHERE id = $1`, [job]);
  }

  /** Closes the pool. */
  close(): Promise<void> {
    return this.pool.end();
  }
}
