/**
 * Minting on many machines: `micromint-broker mint-worker` processes hash ranges claimed from a job queue on a
 * real PostgreSQL (scripts/pg.sh), and the coordinator's epoch is the one a local mint makes with the same key,
 * seed and budget, even when a worker is killed in the middle of a range.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PARAMETER_SETS } from '@micromint/shared';
import type { Store } from '../src/db/store.ts';
import { FarmQueue } from '../src/mint/farm-queue.ts';
import { decodeWinners, encodeWinners } from '../src/mint/farm-winners.ts';
import { smallestCounters } from '../src/mint/mint.ts';
import { runJob } from '../src/mint/worker.ts';
import { farmMintBalls, farmMintEpoch, hashBudget, mintBalls, runFarmWorker, type MintedBalls } from '../src/index.ts';
import { openTestStore, testStoreOptions } from './helpers.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const p = PARAMETER_SETS.test;
const key = new Uint8Array(32).fill(9);
const seed = new Uint8Array(16).fill(3);
const fixed = 5;
const hashes = hashBudget(p, 0.9);
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/** A `micromint-broker` process run from the sources through tsx. */
interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches (with the match); rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

function cli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, ['--conditions=@micromint/source', '--import', 'tsx', BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of watchers) w();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = err.match(pattern);
        if (m) {
          watchers.delete(check);
          resolve(m);
        }
      };
      watchers.add(check);
      check();
      void exited.then((code) => reject(new Error(`exited (${code}) before ${pattern}: ${err}`)));
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** `mint-worker` on the test's farm schema: one thread, a short poll; waits at most 60 s for a job. */
const worker = (schema: string, extra: string[] = [], env: Record<string, string> = {}) =>
  cli(['mint-worker', '--farm', pgUrl(), '--farm-schema', schema, '--workers', '1', '--wait', '60', ...extra], env);

/** The balls of an epoch in the mint database, as (slot, ball) in slot order. */
async function storedBalls(store: Store, epoch: string): Promise<{ slots: number[]; xs: Buffer }> {
  const rows = [];
  for (let superbin = 0; superbin < 2 ** p.u; superbin++) rows.push(...(await store.epochs.ballsIn(epoch, superbin)));
  return { slots: rows.map((r) => r.superbin * 2 ** p.v + r.subbin), xs: Buffer.concat(rows.map((r) => r.x)) };
}

describe('minting farm on PostgreSQL', { timeout: 180_000 }, () => {
  const schemas = new PgSchemas();
  let dir: string;
  let store: Store;
  let local: MintedBalls;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mm-farm-'));
    store = await openTestStore(testStoreOptions(dir, { name: 'mint.db' }));
    local = await mintBalls({ params: { ...p, fixed }, key, seed, hashes, workers: 2 });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await schemas.dropAll();
  });

  test('two worker processes give the epoch one local mint gives: same slots, same balls', async () => {
    const schema = schemas.fresh();
    const workers = [worker(schema), worker(schema)];
    for (const w of workers) await w.waitFor(/connected to the farm/);
    const summary = await farmMintEpoch({
      store,
      farm: { connectionString: pgUrl(), schema },
      params: p,
      epochId: 'farm-1',
      key,
      ballSeed: seed,
      fixed,
      ranges: 8,
      pollMs: 100,
    });
    assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0]);

    const stored = await storedBalls(store, 'farm-1');
    assert.deepEqual(stored.slots, Array.from(local.slots));
    assert.deepEqual(new Uint8Array(stored.xs), local.xs);
    assert.equal(summary.hashes, hashes);
    assert.equal(summary.ballsCounted, local.ballsCounted);
    assert.equal(summary.filledSlots, local.slots.length);
    assert.equal((await store.epochs.get('farm-1'))!.filledSlots, local.slots.length);
    assert.equal(summary.ranges, 8);
    assert.equal(summary.reclaimed, 0);
    // Every range counted once, by whichever worker did it; summary.workers counts the workers that did some.
    const reports = workers.map((w) => w.stdout().match(/: (\d+) range\(s\), ([\d,]+) hashes/)!);
    assert.equal(
      reports.reduce((n, m) => n + Number(m[1]), 0),
      8,
    );
    assert.equal(
      reports.reduce((n, m) => n + Number(m[2]!.replaceAll(',', '')), 0),
      hashes,
    );
    assert.equal(summary.workers, reports.filter((m) => Number(m[1]) > 0).length);
    // The job, its seed and the results are gone from the farm's database.
    assert.deepEqual(await schemas.query(`SELECT id FROM "${schema}".jobs`), []);
    assert.deepEqual(await schemas.query(`SELECT job FROM "${schema}".ranges`), []);
  });

  test('a worker killed in the middle of a range loses nothing: its lease runs out, another takes the range', async () => {
    const schema = schemas.fresh();
    // The JavaScript loop (about 1 M hashes/s) keeps the killed worker inside its range for a while; kernels agree.
    const doomed = worker(schema, ['--lease', '2'], { MICROMINT_MINT_KERNEL: 'js' });
    const id = (await doomed.waitFor(/mint-worker (\S+): connected/))[1]!;
    const farm = { connectionString: pgUrl(), schema };
    const minting = farmMintBalls({ farm, params: { ...p, fixed }, key, seed, hashes, ranges: 2, pollMs: 100 });
    const range = Number((await doomed.waitFor(/range (\d+) of job/))[1]);
    doomed.child.kill('SIGKILL');
    assert.equal(await doomed.exited, null);
    const [held] = await schemas.query<{ worker: string; claims: number; done: boolean }>(
      `SELECT worker, claims, done_at IS NOT NULL AS done FROM "${schema}".ranges WHERE idx = $1`,
      [range],
    );
    assert.deepEqual(held, { worker: id, claims: 1, done: false });

    const rescuer = worker(schema);
    const farmed = await minting;
    assert.equal(await rescuer.exited, 0);
    assert.match(rescuer.stderr(), new RegExp(`range ${range} of job \\S+: counters \\S+ \\(claim 2\\)`));
    assert.equal(farmed.reclaimed, 1);
    assert.deepEqual(farmed.slots, local.slots);
    assert.deepEqual(farmed.xs, local.xs);
    assert.equal(farmed.ballsCounted, local.ballsCounted);
    assert.equal(farmed.hashes, hashes);
  });

  test('claims skip locked and leased ranges, take expired ones again; a range done twice merges the same', async () => {
    const schema = schemas.fresh();
    const queue = await FarmQueue.open({ connectionString: pgUrl(), schema });
    const other = await schemas.client();
    try {
      const small = 40_000;
      const job = await queue.createJob({ key, seed, ...p, fixed, hashes: small }, 3);
      // A range another transaction holds locked is skipped, not waited for.
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM "${schema}".ranges WHERE idx = 0 FOR UPDATE`);
      const a = (await queue.claim('a', 60))!;
      assert.equal(a.range, 1);
      await other.query('ROLLBACK');
      const b = (await queue.claim('b', 60))!;
      assert.equal(b.range, 0);
      const c = (await queue.claim('c', 60))!;
      assert.equal(c.range, 2);
      assert.equal(await queue.claim('d', 60), null);

      // b's lease runs out: d gets range 0 on a second claim; both finish it, the first result stays.
      await schemas.query(`UPDATE "${schema}".ranges SET lease_until = now() - interval '1 second' WHERE idx = 0`);
      const d = (await queue.claim('d', 60))!;
      assert.deepEqual([d.range, d.claims, d.first, d.end], [0, 2, b.first, b.end]);
      assert.equal(await queue.renew(b, 'b', 60, 10), false);
      const result = (claim: typeof a) => {
        const r = runJob({ ...claim.spec, start: claim.first, end: claim.end }, () => undefined);
        return { kernel: r.kernel, ballsCounted: r.ballsCounted, winners: encodeWinners(r, claim.first) };
      };
      assert.equal(await queue.complete(d, 'd', result(d)), true);
      assert.equal(await queue.complete(b, 'b', result(b)), false);
      assert.equal(await queue.complete(a, 'a', result(a)), true);
      assert.equal(await queue.complete(c, 'c', result(c)), true);
      assert.deepEqual(await queue.progress(job), { ranges: 3, done: 3, hashes: small });
      const done = await queue.results(job);
      assert.deepEqual(
        done.map((r) => [r.range, r.doneBy, r.claims]),
        [
          [0, 'd', 2],
          [1, 'a', 1],
          [2, 'c', 1],
        ],
      );

      // The rule is the smallest counter per slot, in any order and with a range twice: a local run's result.
      const ranges = done.map((r) => decodeWinners(r.winners, r.first, r.end, p.u + p.v));
      const merged = smallestCounters(ranges, p.u + p.v);
      assert.deepEqual(smallestCounters([ranges[2]!, ranges[0]!, ranges[1]!, ranges[0]!], p.u + p.v), merged);
      const one = await mintBalls({ params: { ...p, fixed }, key, seed, hashes: small, workers: 1 });
      assert.deepEqual(merged.slots, one.slots);
      await queue.deleteJob(job);
      assert.equal(await queue.progress(job), null);
    } finally {
      await other.end();
      await queue.close();
    }
  });

  test('a worker with no job waits --wait seconds and exits 0', async () => {
    const w = cli(['mint-worker', '--farm', pgUrl(), '--farm-schema', schemas.fresh(), '--wait', '0']);
    assert.equal(await w.exited, 0);
    assert.match(w.stdout(), /0 range\(s\), 0 hashes/);
  });
});

describe('minting farm options', () => {
  const farm = { connectionString: 'postgres://mint:hunter2@127.0.0.1:5432/farm' };
  const shape = { ...p, fixed };

  test('bad options are refused before any connection, with clear errors', async () => {
    const refused = async (promise: Promise<unknown>, error: typeof RangeError, message: RegExp) => {
      const e = (await promise.then(
        () => undefined,
        (x: unknown) => x,
      )) as Error;
      assert.ok(e instanceof error, String(e));
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /hunter2/);
    };
    const bad = { ...farm, connectionString: 'mysql://mint:hunter2@127.0.0.1/farm' };
    await refused(
      farmMintBalls({ farm: bad, params: shape, key, seed, hashes }),
      RangeError,
      /farm\.connectionString must be a postgres:\/\/ URL/,
    );
    await refused(farmMintBalls({ farm: { ...farm, schema: 'Farm-1' }, params: shape, key, seed, hashes }), RangeError, /farm\.schema/);
    await refused(
      farmMintBalls({ farm: { ...farm, pool: 3 } as never, params: shape, key, seed, hashes }),
      RangeError,
      /unknown option "pool"/,
    );
    await refused(farmMintBalls({ farm, params: shape, key, seed, hashes, ranges: 0 }), RangeError, /ranges must be between 1/);
    await refused(farmMintBalls({ farm, params: shape, key, seed: new Uint8Array(8), hashes }), RangeError, /seed must be 16 bytes/);
    await refused(
      farmMintBalls({ farm, params: { ...shape, u: 16, v: 12 }, key, hashes }),
      RangeError,
      /u \+ v = 28 is more than this minter holds/,
    );
    await refused(farmMintBalls({ farm, params: shape, key, hashes: 0 }), RangeError, /hashes/);
    await refused(runFarmWorker({ farm: bad }), RangeError, /postgres:\/\/ URL/);
    await refused(runFarmWorker({ farm, threads: 0 }), RangeError, /threads must be between 1 and 256/);
    await refused(runFarmWorker({ farm, leaseSeconds: 0 }), RangeError, /leaseSeconds must be between 1/);
    await refused(runFarmWorker({ farm, waitSeconds: -1 }), RangeError, /waitSeconds/);
    await refused(runFarmWorker({ farm, leaseSeconds: '60' as never }), TypeError, /leaseSeconds must be a number/);
  });

  test('the CLI refuses bad farm command lines: usage and exit 2 for an unknown option, exit 1 for a bad value', async () => {
    const db = join(tmpdir(), `mm-farm-cli-${process.pid}`, 'b.db');
    const runs = [
      cli(['mint-worker']),
      cli(['mint-worker', '--farm', farm.connectionString, '--bogus']),
      cli(['mint', '--db', db, '--farm', 'farm.db']),
      cli(['mint', '--db', db, '--farm', farm.connectionString, '--workers', '2']),
      cli(['mint', '--db', db, '--ranges', '4']),
      cli(['mint-worker', '--farm', farm.connectionString, '--lease', '0']),
    ];
    const codes = await Promise.all(runs.map((r) => r.exited));
    assert.deepEqual(codes, [1, 2, 1, 1, 1, 1]);
    const [noFarm, unknown, notUrl, workers, ranges, lease] = runs.map((r) => r.stderr());
    assert.match(noFarm!, /^error: mint-worker needs --farm <postgres-url>/);
    assert.match(unknown!, /Unknown option '--bogus'[\s\S]*Usage:[\s\S]*mint-worker --farm/);
    assert.match(notUrl!, /^error: --farm must be a postgres:\/\/ URL/);
    assert.match(workers!, /^error: mint --farm hashes on the workers: give --workers to mint-worker/);
    assert.match(ranges!, /^error: --farm-schema and --ranges go with --farm/);
    assert.match(lease!, /^error: --lease must be a whole number from 1 to 86400/);
    for (const err of [noFarm, notUrl, workers, ranges, lease]) assert.doesNotMatch(err!, /hunter2|\n\s+at /);
  });
});
