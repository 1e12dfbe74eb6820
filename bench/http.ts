/**
 * Requests per second through the middleware (autocannon, 10 connections, loopback): the same 1 KB
 * page served free, paid with fresh coins on every request, re-viewed with the access cookie, and
 * a retried (replayed) payment.
 */
import autocannon from 'autocannon';
import { timedRun } from './timed-run.ts';
import express from 'express';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { micromint } from '@micromint/middleware';
import { encodeHeader, micromintPayload, micromintRequirements, type EpochParams } from '@micromint/shared';

export interface HttpRow {
  name: string;
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
}

interface Target {
  url: string;
  vendorId: string;
  close: () => Promise<void>;
}

const BROKER = 'http://127.0.0.1:9';

async function startSite(epoch: EpochParams): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'micromint-bench-'));
  const root = join(dir, 'public');
  mkdirSync(join(root, 'free'), { recursive: true });
  mkdirSync(join(root, 'paid'), { recursive: true });
  const body = `<!doctype html><title>Bench</title><p>${'MicroMint '.repeat(100)}</p>`; // about 1 KB
  writeFileSync(join(root, 'free', 'page.html'), body);
  writeFileSync(join(root, 'paid', 'page.html'), body);
  writeFileSync(join(root, 'paid', 'page.html.mm'), '1\n');
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const vendorId = `http://127.0.0.1:${port}`;
  const mm = micromint({
    vendorId,
    broker: BROKER,
    epoch,
    root,
    dbPath: join(dir, 'vendor.db'),
    secret: 'b'.repeat(32),
    logger: { warn() {}, error() {} },
  });
  app.use(mm);
  app.use(express.static(root, { cacheControl: false }));
  return {
    url: vendorId,
    vendorId,
    close: async () => {
      await new Promise((r) => server.close(r));
      mm.close();
    },
  };
}

/** One row: `opts` run by {@link timedRun}. */
export async function run(name: string, opts: autocannon.Options): Promise<HttpRow> {
  const { result, requestsPerSecond } = await timedRun(opts);
  return { name, requestsPerSecond, requests: result.requests.total, non2xx: result.non2xx };
}

/** Runs the four measurements; `coins` must be coins of `epoch` for user `userId` and the site's vendor ID. */
export async function measureHttp(
  epoch: EpochParams,
  userId: string,
  makeCoins: (vendorId: string) => Uint8Array[],
  seconds = 5,
): Promise<HttpRow[]> {
  const site = await startSite(epoch);
  try {
    const coins = makeCoins(site.vendorId);
    const paidUrl = `${site.url}/paid/page.html`;
    const requirement = micromintRequirements({ price: 1, vendorId: site.vendorId, broker: BROKER, epoch: epoch.id });
    const header = (coin: Uint8Array) =>
      encodeHeader({
        x402Version: 2,
        resource: { url: paidUrl },
        accepted: requirement,
        payload: micromintPayload(epoch.id, userId, [coin]),
      });
    const headers = coins.map(header);
    const rows: HttpRow[] = [];
    rows.push(await run('free page (no payment involved)', { url: `${site.url}/free/page.html`, duration: seconds }));
    rows.push(await run('paid page, 402 challenge (no payment)', { url: paidUrl, duration: seconds }));
    // Every request spends a new coin: verified (k hashes), recorded durably, then served.
    let next = 0;
    const fresh = headers.slice(1);
    rows.push(
      await run(`paid page, a new 1-coin payment each (${fresh.length} coins)`, {
        url: paidUrl,
        amount: fresh.length,
        requests: [
          { setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'payment-signature': fresh[next++ % fresh.length]! } }) },
        ],
      }),
    );
    // The first payment, replayed: an idempotent retry is looked up and served, nothing recorded.
    const first = await fetch(paidUrl, { headers: { 'payment-signature': headers[0]! } });
    if (first.status !== 200) throw new Error(`bench payment refused: ${first.status}`);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    rows.push(
      await run('paid page, the same payment retried', { url: paidUrl, duration: seconds, headers: { 'payment-signature': headers[0]! } }),
    );
    rows.push(await run('paid page, re-viewed with the access cookie', { url: paidUrl, duration: seconds, headers: { cookie } }));
    return rows;
  } finally {
    await site.close();
  }
}
