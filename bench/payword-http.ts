/**
 * Paid requests per second with PayWord links (autocannon, 10 connections, loopback): the same 1 KB
 * page free and paid with a new link per request (the MAC, one hash, the compare-and-set recorded
 * durably, then served). The site talks to the middleware's small loopback test broker for its
 * keys, as the middleware's own tests do; the chain is opened there like the wallet opens one.
 */
import { linkHeaders } from './headers.ts';
import express from 'express';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { micromint } from '@micromint/middleware';
import type { EpochParams } from '@micromint/shared';
import { startBroker } from '../middleware/test/broker.ts';
import { run, type HttpRow } from './http.ts';

/** Free page, then a new 1-link payment per request, `links` requests in all. */
export async function measurePaywordHttp(epoch: EpochParams, links = 5000, seconds = 5): Promise<HttpRow[]> {
  const broker = await startBroker({ epochs: [epoch] });
  const dir = mkdtempSync(join(tmpdir(), 'micromint-bench-pw-'));
  const root = join(dir, 'public');
  mkdirSync(join(root, 'free'), { recursive: true });
  mkdirSync(join(root, 'paid'), { recursive: true });
  const body = `<!doctype html><title>Bench</title><p>${'MicroMint '.repeat(100)}</p>`;
  writeFileSync(join(root, 'free', 'page.html'), body);
  writeFileSync(join(root, 'paid', 'page.html'), body);
  writeFileSync(join(root, 'paid', 'page.html.mm'), '1\n');
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const vendorId = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mm = micromint({
    vendorId,
    broker: broker.url,
    apiKey: broker.register(vendorId),
    schemes: ['payword'],
    root,
    dbPath: join(dir, 'vendor.db'),
    secret: 'b'.repeat(32),
    logger: { warn() {}, error() {} },
  });
  app.use(mm);
  app.use(express.static(root, { cacheControl: false }));
  try {
    const paidUrl = `${vendorId}/paid/page.html`;
    const headers = await linkHeaders(broker, paidUrl, links);
    const free = await run('free page (no payment involved)', { url: `${vendorId}/free/page.html`, duration: seconds });
    let next = 0;
    const paid = await run(`paid page, a new 1-link PayWord payment each (${links} links)`, {
      url: paidUrl,
      amount: links,
      requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'payment-signature': headers[next++]! } }) }],
    });
    return [free, paid];
  } finally {
    await new Promise((r) => server.close(r));
    await mm.close();
    await broker.close();
  }
}
