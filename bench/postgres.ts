/**
 * Paid requests per second on PostgreSQL (issue 8): one site as one, then two, vendor processes
 * (`PostgresVendorStore`, one schema) behind a real nginx, each request a new 1-coin payment
 * recorded durably before it is served; the site's free page through the same nginx beside it.
 * autocannon drives nginx with 10 connections on loopback.
 *
 * The server is MICROMINT_PG_URL when set, else a fresh cluster started by `scripts/pg.sh` for the
 * run. Without PostgreSQL or nginx the rows are skipped with a note. On a 2-core machine autocannon,
 * nginx, PostgreSQL and the instances share the cores, so a second instance adds little there.
 *
 * Run alone: `npx tsx --conditions=@micromint/source bench/postgres.ts`.
 * @module
 */
import { measureRedemption, type RedemptionRow } from './broker-path.ts';
import { coinHeaders } from './headers.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type EpochParams } from '@micromint/shared';
import { MAX_BATCH_COINS } from '@micromint/broker';
import type { Slots } from '@micromint/shared/testing';
import { startBroker, type TestBroker } from '../middleware/test/broker.ts';
import { freePort } from '../middleware/test/harness.ts';
import { nginxBinary, startNginx } from '../middleware/test/nginx.ts';
import { PgSchemas } from '../middleware/test/postgres.ts';
import { spawnVendor } from '../middleware/test/vendor-process.ts';
import { run, type HttpRow } from './http.ts';
import { CONNECTIONS } from './timed-run.ts';

/** What results.json gets. */
export type PostgresBench =
  | { skipped: string }
  | {
      rows: HttpRow[];
      /** Paid requests per second, one instance and two behind nginx. */
      postgres_paid_rps_1: number;
      postgres_paid_rps_2: number;
      /** The broker on PostgreSQL: coins redeemed per second through `redeemBatch`, and its growth per coin. */
      postgres_redeem_coins_per_s: number;
      postgres_broker_bytes_per_coin: number;
      /** The broker's redemption rows on PostgreSQL, as bench/broker-path.ts measures them on SQLite. */
      brokerRedemption: RedemptionRow;
      /** Seconds from `scripts/pg.sh` to a server taking connections (when the bench started one). */
      cluster_start_seconds?: number;
    };

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A PostgreSQL server for the run: the given one, or a fresh cluster that `stop()` removes. */
async function server(): Promise<{ url: string; stop(): Promise<void>; startSeconds?: number } | string> {
  if (process.env.MICROMINT_PG_URL) return { url: process.env.MICROMINT_PG_URL, stop: async () => undefined };
  const started = performance.now();
  // pg.sh runs the command beside the cluster: it prints the URL, then waits for stdin to close.
  const child = spawn('bash', ['scripts/pg.sh', 'sh', '-c', 'echo "$MICROMINT_PG_URL"; exec cat >/dev/null'], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout }), 'line'), once(child, 'exit')])) as [unknown];
  if (typeof line !== 'string' || !line.startsWith('postgres://')) return `no PostgreSQL server (${stderr.trim().split('\n').at(-1)})`;
  return {
    url: line,
    startSeconds: (performance.now() - started) / 1000,
    async stop() {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** The free and paid rows of `instances` vendor processes behind nginx. */
async function site(o: {
  instances: number;
  broker: TestBroker;
  pg: string;
  schemas: PgSchemas;
  epoch: EpochParams;
  slots: Slots;
  seconds: number;
  payments: number;
}): Promise<HttpRow[]> {
  const port = await freePort();
  const vendorId = `http://127.0.0.1:${port}`;
  const config = { vendorId, broker: o.broker.url, apiKey: o.broker.register(vendorId), postgres: o.pg, schema: o.schemas.fresh() };
  const ports = await Promise.all(Array.from({ length: o.instances }, () => freePort()));
  const vendors = await Promise.all(
    ports.map((p, i) => spawnVendor({ ...config, instance: String(i + 1), port: p, price: 1, schemes: ['micromint'] })),
  );
  const nginx = await startNginx(
    port,
    ports.map((p) => `127.0.0.1:${p}`),
  );
  try {
    const paidUrl = `${vendorId}/paid/page`;
    const headers = coinHeaders(o.epoch, o.slots, { vendorId, broker: o.broker.url, url: paidUrl }, o.payments + CONNECTIONS);
    // Each instance fetches the epoch and opens its connections before the clock starts.
    for (const header of headers.splice(0, CONNECTIONS)) {
      const res = await fetch(paidUrl, { headers: { 'payment-signature': header } });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`bench payment refused: ${res.status}`);
    }
    const label = o.instances === 1 ? 'one instance' : `${o.instances} instances`;
    const free = await run(`Postgres, ${label} behind nginx: free page`, { url: `${vendorId}/free`, duration: o.seconds });
    let next = 0;
    const paid = await run(`Postgres, ${label} behind nginx: a new 1-coin payment each (${headers.length} coins)`, {
      url: paidUrl,
      amount: headers.length,
      requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'payment-signature': headers[next++]! } }) }],
    });
    return [free, paid];
  } finally {
    await nginx.close();
    await Promise.all(vendors.map((v) => v.stop()));
  }
}

/** Measures the Postgres rows, or says why they were skipped. */
export async function measurePostgres(
  epoch: EpochParams,
  slots: Slots,
  o: { seconds?: number; payments?: number } = {},
): Promise<PostgresBench> {
  if (!nginxBinary()) return { skipped: 'nginx is not installed (apt-get install nginx-light)' };
  const pg = await server();
  if (typeof pg === 'string') return { skipped: pg };
  const schemas = new PgSchemas(pg.url);
  const broker = await startBroker({ epochs: [epoch] });
  try {
    const common = { broker, pg: pg.url, schemas, epoch, slots, seconds: o.seconds ?? 5, payments: o.payments ?? 8000 };
    const one = await site({ ...common, instances: 1 });
    const two = await site({ ...common, instances: 2 });
    const redemption = await measureRedemption(MAX_BATCH_COINS, { postgres: { connectionString: pg.url, schema: schemas.fresh() } });
    return {
      rows: [...one, ...two],
      postgres_paid_rps_1: one[1]!.requestsPerSecond,
      postgres_paid_rps_2: two[1]!.requestsPerSecond,
      postgres_redeem_coins_per_s: redemption.coinsPerSecond,
      postgres_broker_bytes_per_coin: redemption.dbBytesPerCoin,
      brokerRedemption: redemption,
      ...(pg.startSeconds !== undefined ? { cluster_start_seconds: pg.startSeconds } : {}),
    };
  } finally {
    await broker.close();
    await schemas.dropAll();
    await pg.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { benchEpoch, mintSlots } = await import('./verify.ts');
  const epoch = benchEpoch({ t: 4, u: 10, v: 6, k: 4 });
  console.log(JSON.stringify(await measurePostgres(epoch, mintSlots(epoch), { seconds: Number(process.env.MM_PG_SECONDS ?? 5) }), null, 2));
}
