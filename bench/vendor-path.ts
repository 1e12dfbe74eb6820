/**
 * The vendor's paid path beside its free one (issue 8): the same 1 KB page served free, paid with
 * a new 1-coin payment per request, the same payment retried, and re-viewed with the access
 * cookie; the store's bytes per recorded coin; then the same page paid with a new PayWord link
 * per request. The site runs in a child process of its own (autocannon, here, does not share its
 * event loop), on a real SQLite file, driven by autocannon with 10 connections on loopback. The
 * free page is measured before and after the paid rows and their mean is the baseline, so that a
 * machine whose load changes during the run skews the ratios less. Each row also gives the CPU
 * time the site's main thread spent per request, which depends less on that load.
 *
 * Run alone: `npx tsx --conditions=@micromint/source bench/vendor-path.ts`;
 * `MM_VENDOR_PATH_PROF=<dir>` writes a CPU profile of the site process there.
 * @module
 */
import { coinHeaders, linkHeaders } from './headers.ts';
import autocannon from 'autocannon';
import { timedRun } from './timed-run.ts';
import express from 'express';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { micromint, SqliteVendorStore } from '@micromint/middleware';
import { epochFromJson, epochToJson, type EpochParams, type EpochParamsJson } from '@micromint/shared';
import type { Slots } from '@micromint/shared/testing';
import { startBroker } from '../middleware/test/broker.ts';
import type { HttpRow } from './http.ts';

/** A row of the table: requests per second, and the site's main-thread CPU per request (µs). */
export interface VendorPathRow extends HttpRow {
  serverCpuUs: number;
}

/** The figures for results.json (the keys), the table rows, and every row measured. */
export interface VendorPathResult {
  figures: {
    /** Paid / free requests per second, each paid row against the mean of the free runs around it. */
    paid_vs_free: number;
    paid_retry_vs_free: number;
    paid_cookie_vs_free: number;
    /** Growth of the vendor's database file per coin the paid run recorded, after a checkpoint and VACUUM. */
    vendor_bytes_per_coin: number;
    /** The same without VACUUM (after a WAL checkpoint only). */
    vendor_bytes_per_coin_unvacuumed: number;
    payword_paid_vs_free: number;
    /** Growth per PayWord link payment recorded, after a checkpoint and VACUUM. */
    payword_bytes_per_payment: number;
  };
  rows: string[][];
  /** The paid run's durable transactions and fsyncs (group commit), against its payments. */
  groups: { commits: number; syncs: number; payments: number };
  micromint: VendorPathRow[];
  payword: VendorPathRow[];
}

/** The table's columns, for bench/run.ts. */
export const VENDOR_PATH_HEAD = ['request', 'requests/s', 'vs free', 'site CPU per request', 'requests', 'non-2xx'];

const BROKER = 'http://127.0.0.1:9';
const BODY = `<!doctype html><title>Bench</title><p>${'MicroMint '.repeat(100)}</p>`; // about 1 KB

interface SiteOptions {
  scheme: 'micromint' | 'payword';
  epoch?: EpochParamsJson;
  broker: string;
  /** Called with the site's origin once it listens: the API key to give the middleware, if any. */
  register?: (vendorId: string) => string;
}
type ToChild =
  | { kind: 'listen' }
  | { kind: 'start'; scheme: SiteOptions['scheme']; epoch?: EpochParamsJson; broker: string; apiKey?: string }
  | { kind: 'size' }
  | { kind: 'cpu' }
  | { kind: 'stop' };
type FromChild =
  | { kind: 'listening'; vendorId: string }
  | { kind: 'ready' }
  | { kind: 'size'; bytes: number; unvacuumed: number; commits: number; syncs: number }
  | { kind: 'cpu'; mainMs: number };

/** CPU time (ms) of this process's main thread, from /proc (Linux); the whole process's elsewhere. */
function mainThreadMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

/** The site process: an Express app with the middleware and the static server on a fresh directory. */
function serve(): void {
  const dir = mkdtempSync(join(tmpdir(), 'micromint-vendor-path-'));
  const root = join(dir, 'public');
  mkdirSync(join(root, 'free'), { recursive: true });
  mkdirSync(join(root, 'paid'), { recursive: true });
  writeFileSync(join(root, 'free', 'page.html'), BODY);
  writeFileSync(join(root, 'paid', 'page.html'), BODY);
  writeFileSync(join(root, 'paid', 'page.html.mm'), '1\n');
  const dbPath = join(dir, 'vendor.db');
  const app = express();
  let server: ReturnType<typeof app.listen> | undefined;
  let store: SqliteVendorStore | undefined;
  let mm: ReturnType<typeof micromint> | undefined;
  const send = (m: FromChild): void => void process.send!(m);
  const handle = async (m: ToChild): Promise<void> => {
    if (m.kind === 'listen') {
      server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server!.once('listening', r));
      send({ kind: 'listening', vendorId: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    } else if (m.kind === 'start') {
      store = new SqliteVendorStore(dbPath);
      mm = micromint({
        vendorId: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`,
        broker: m.broker,
        ...(m.epoch ? { epoch: epochFromJson(m.epoch) } : {}),
        ...(m.apiKey ? { apiKey: m.apiKey } : {}),
        schemes: [m.scheme],
        root,
        store,
        secret: 'b'.repeat(32),
        logger: { warn() {}, error() {} },
      });
      app.use(mm);
      app.use(express.static(root, { cacheControl: false }));
      send({ kind: 'ready' });
    } else if (m.kind === 'cpu') send({ kind: 'cpu', mainMs: mainThreadMs() });
    else if (m.kind === 'size') {
      const { commits, syncs } = store!.commits;
      store!.db.pragma('wal_checkpoint(TRUNCATE)');
      const unvacuumed = statSync(dbPath).size;
      store!.db.exec('VACUUM');
      store!.db.pragma('wal_checkpoint(TRUNCATE)');
      send({ kind: 'size', bytes: statSync(dbPath).size, unvacuumed, commits, syncs });
    } else {
      await new Promise((r) => server?.close(r));
      await mm?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  };
  process.on('message', (m: ToChild) => void handle(m));
}

/** A site process and the way to talk to it. */
class Site {
  private constructor(
    private readonly child: ChildProcess,
    readonly vendorId: string,
  ) {}

  static async start(o: SiteOptions): Promise<Site> {
    const prof = process.env.MM_VENDOR_PATH_PROF;
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: [...process.execArgv, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
      env: { ...process.env, MM_VENDOR_PATH_SITE: '1' },
    });
    const listening = await Site.ask(child, { kind: 'listen' });
    if (listening.kind !== 'listening') throw new Error('the bench site did not listen');
    const apiKey = o.register?.(listening.vendorId);
    await Site.ask(child, {
      kind: 'start',
      scheme: o.scheme,
      broker: o.broker,
      ...(o.epoch ? { epoch: o.epoch } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    return new Site(child, listening.vendorId);
  }

  private static ask(child: ChildProcess, m: ToChild): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`the bench site exited (${code})`));
      child.once('exit', exited);
      child.once('message', (answer: FromChild) => {
        child.off('exit', exited);
        resolve(answer);
      });
      child.send(m);
    });
  }

  /** The store's file size (after VACUUM, and before), and its group commit's counters. */
  async size(): Promise<{ bytes: number; unvacuumed: number; commits: number; syncs: number }> {
    const a = await Site.ask(this.child, { kind: 'size' });
    if (a.kind !== 'size') throw new Error('the bench site did not give its size');
    return a;
  }

  /** Runs autocannon against the site and measures its main thread's CPU meanwhile. */
  async run(name: string, opts: autocannon.Options): Promise<VendorPathRow> {
    const before = await Site.ask(this.child, { kind: 'cpu' });
    const { result: r, requestsPerSecond } = await timedRun(opts);
    const after = await Site.ask(this.child, { kind: 'cpu' });
    const cpuMs = after.kind === 'cpu' && before.kind === 'cpu' ? after.mainMs - before.mainMs : NaN;
    return {
      name,
      requestsPerSecond,
      requests: r.requests.total,
      non2xx: r.non2xx,
      serverCpuUs: Math.round((cpuMs * 1000) / r.requests.total),
    };
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ kind: 'stop' } satisfies ToChild);
    await exited;
  }
}

/** autocannon options that send one header value per request, each once. */
const eachOnce = (url: string, name: string, values: string[]): autocannon.Options => {
  let next = 0;
  return {
    url,
    amount: values.length,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, [name]: values[next++ % values.length]! } }) }],
  };
};

const ratio = (paid: HttpRow, free: number): number => Math.round((paid.requestsPerSecond / free) * 1000) / 1000;
const mean = (a: HttpRow, b: HttpRow): number => (a.requestsPerSecond + b.requestsPerSecond) / 2;
const perCoin = (grown: number, n: number): number => Math.round(grown / n);

/** The MicroMint rows and the bytes per coin. */
async function micromintRows(epoch: EpochParams, slots: Slots, seconds: number, payments: number) {
  const site = await Site.start({ scheme: 'micromint', epoch: epochToJson(epoch), broker: BROKER });
  try {
    const paidUrl = `${site.vendorId}/paid/page.html`;
    const [retried, ...fresh] = coinHeaders(epoch, slots, { vendorId: site.vendorId, broker: BROKER, url: paidUrl }, payments + 1);
    const free = `${site.vendorId}/free/page.html`;
    const free1 = await site.run('free page (no payment involved)', { url: free, duration: seconds });
    const before = await site.size();
    const paid = await site.run(
      `paid page, a new 1-coin payment each (${fresh.length} coins)`,
      eachOnce(paidUrl, 'payment-signature', fresh),
    );
    const after = await site.size();
    const first = await fetch(paidUrl, { headers: { 'payment-signature': retried! } });
    await first.body?.cancel();
    if (first.status !== 200) throw new Error(`bench payment refused: ${first.status}`);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const retry = await site.run('paid page, the same payment retried', {
      url: paidUrl,
      duration: seconds,
      headers: { 'payment-signature': retried! },
    });
    const viewed = await site.run('paid page, re-viewed with the access cookie', { url: paidUrl, duration: seconds, headers: { cookie } });
    const free2 = await site.run('free page again (after the paid rows)', { url: free, duration: seconds });
    const base = mean(free1, free2);
    return {
      rows: [free1, paid, retry, viewed, free2],
      base,
      paid_vs_free: ratio(paid, base),
      paid_retry_vs_free: ratio(retry, base),
      paid_cookie_vs_free: ratio(viewed, base),
      vendor_bytes_per_coin: perCoin(after.bytes - before.bytes, paid.requests),
      vendor_bytes_per_coin_unvacuumed: perCoin(after.unvacuumed - before.unvacuumed, paid.requests),
      groups: { commits: after.commits - before.commits, syncs: after.syncs - before.syncs, payments: paid.requests },
    };
  } finally {
    await site.stop();
  }
}

/** The PayWord rows: the free page, then a new 1-link payment per request on one chain. */
async function paywordRows(epoch: EpochParams, seconds: number, links: number) {
  const broker = await startBroker({ epochs: [epoch] });
  let site: Site | undefined;
  try {
    site = await Site.start({ scheme: 'payword', broker: broker.url, register: (origin) => broker.register(origin) });
    const paidUrl = `${site.vendorId}/paid/page.html`;
    const headers = await linkHeaders(broker, paidUrl, links);
    const free = `${site.vendorId}/free/page.html`;
    const free1 = await site.run('PayWord site: free page', { url: free, duration: seconds });
    const before = await site.size();
    const paid = await site.run(
      `PayWord site: paid page, a new 1-link payment each (${links} links)`,
      eachOnce(paidUrl, 'payment-signature', headers),
    );
    const after = await site.size();
    const free2 = await site.run('PayWord site: free page again', { url: free, duration: seconds });
    const base = mean(free1, free2);
    return {
      rows: [free1, paid, free2],
      base,
      payword_paid_vs_free: ratio(paid, base),
      payword_bytes_per_payment: perCoin(after.bytes - before.bytes, paid.requests),
    };
  } finally {
    await site?.stop();
    await broker.close();
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/**
 * Measures the vendor's paid path (see the module comment). `slots` are the minted slots of
 * `epoch` (coins are made for several users from them); `payments` new payments are sent, and
 * `links` PayWord links.
 * @example
 * const r = await measureVendorPath(epoch, mintSlots(epoch));
 * console.log(r.figures.paid_vs_free);
 */
export async function measureVendorPath(
  epoch: EpochParams,
  slots: Slots,
  o: { seconds?: number; payments?: number; links?: number } = {},
): Promise<VendorPathResult> {
  const seconds = o.seconds ?? 5;
  const mm = await micromintRows(epoch, slots, seconds, o.payments ?? 12_000);
  const pw = await paywordRows(epoch, seconds, o.links ?? 10_000);
  const row = (r: VendorPathRow, base: number): string[] => [
    r.name,
    fmt(r.requestsPerSecond),
    `${((r.requestsPerSecond / base) * 100).toFixed(0)}%`,
    `${fmt(r.serverCpuUs)} µs`,
    fmt(r.requests),
    fmt(r.non2xx),
  ];
  return {
    figures: {
      paid_vs_free: mm.paid_vs_free,
      paid_retry_vs_free: mm.paid_retry_vs_free,
      paid_cookie_vs_free: mm.paid_cookie_vs_free,
      vendor_bytes_per_coin: mm.vendor_bytes_per_coin,
      vendor_bytes_per_coin_unvacuumed: mm.vendor_bytes_per_coin_unvacuumed,
      payword_paid_vs_free: pw.payword_paid_vs_free,
      payword_bytes_per_payment: pw.payword_bytes_per_payment,
    },
    rows: [
      ...mm.rows.map((r) => row(r, mm.base)),
      ...pw.rows.map((r) => row(r, pw.base)),
      [
        'vendor store per recorded coin (after VACUUM; before VACUUM)',
        `${mm.vendor_bytes_per_coin} B`,
        '',
        `${mm.vendor_bytes_per_coin_unvacuumed} B`,
        '',
        '',
      ],
      ['vendor store per PayWord payment (after VACUUM)', `${pw.payword_bytes_per_payment} B`, '', '', '', ''],
      [
        'paid run: payments per transaction; per fsync',
        (mm.groups.payments / mm.groups.commits).toFixed(1),
        '',
        (mm.groups.payments / mm.groups.syncs).toFixed(1),
        '',
        '',
      ],
    ],
    groups: mm.groups,
    micromint: mm.rows,
    payword: pw.rows,
  };
}

if (process.env.MM_VENDOR_PATH_SITE === '1') serve();
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Alone: prints the rows; with --write, merges the figures into bench/results.json (other keys kept).
  const { benchEpoch, mintSlots } = await import('./verify.ts');
  const epoch = benchEpoch({ t: 4, u: 10, v: 6, k: 4 });
  const r = await measureVendorPath(epoch, mintSlots(epoch), { seconds: Number(process.env.MM_VENDOR_PATH_SECONDS ?? 5) });
  console.log(VENDOR_PATH_HEAD.join(' | '));
  for (const line of r.rows) console.log(line.join(' | '));
  console.log(JSON.stringify(r.figures, null, 2));
  if (process.argv.includes('--write')) {
    const file = new URL('./results.json', import.meta.url);
    const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    Object.assign(results, r.figures, { vendorPath: { date: new Date().toISOString(), micromint: r.micromint, payword: r.payword } });
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  }
}
