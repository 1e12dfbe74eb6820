/**
 * `npm run bench`: minting speed beside openssl, coin verifications per second, and requests per
 * second through the middleware. Prints tables; asserts nothing. The machines are noisy: compare
 * ratios from one run.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { hashBudget, measureMint, nativeAvailable, type MintSpeed } from '@micromint/broker';
import { PARAMETER_SETS } from '@micromint/shared';
import { measureHttp } from './http.ts';
import { opensslSha256PerSecond } from './openssl.ts';
import { benchEpoch, coinsFor, mintSlots, verificationsPerSecond } from './verify.ts';
import { ed25519PerSecond, firstPaymentPerSecond, paywordVerificationsPerSecond } from './payword.ts';
import { measurePaywordHttp } from './payword-http.ts';
import { measureClearing } from './clearing.ts';
import { measureBrokerPath } from './broker-path.ts';
import { measurePostgres } from './postgres.ts';
import { extLoadFigures, extLoadRows, measureExtLoad } from './ext-load.ts';
import { measureVendorPath, VENDOR_PATH_HEAD } from './vendor-path.ts';

const cores = availableParallelism();
const fmt = (n: number | null, digits = 0) => (n === null ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));
const mps = (n: number | null) => (n === null ? 'n/a' : `${(n / 1e6).toFixed(2)} M/s`);

function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(line(head));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

console.log(`MicroMint bench on ${cores} cores, Node ${process.version}`);
/** Everything measured, written to bench/results.json at the end (ratios are only meaningful within one run). */
const results: Record<string, unknown> = { date: new Date().toISOString(), cores, node: process.version };

// 1. Minting: the demo parameters' hash loop per kernel, one worker and all workers, beside openssl.
const kernels = (['native', 'js'] as const).filter((k) => k === 'js' || nativeAvailable());
const speeds: MintSpeed[] = [];
for (const kernel of kernels) speeds.push(await measureMint({ params: PARAMETER_SETS.demo, seconds: 3, kernel }));
const ossl1 = opensslSha256PerSecond(1);
const osslN = cores > 1 ? opensslSha256PerSecond(cores) : ossl1;
const kernelName = {
  native: 'CoinMint native kernel (batch per call, OpenSSL SHA256_Transform)',
  js: 'CoinMint JavaScript loop (crypto.hash per ball)',
};
const vsOssl = (n: number) => (ossl1 ? `${((n / ossl1) * 100).toFixed(0)}%` : 'n/a');
table(
  'Minting (SHA-256 of a 52-byte ball preimage, one compression each; worker_threads)',
  ['what', 'one core', `all cores (${cores})`, 'vs openssl, one core'],
  [
    ...speeds.map((m) => [kernelName[m.kernel], mps(m.singleCore), mps(m.allCores), vsOssl(m.singleCore)]),
    ...(nativeAvailable() ? [] : [['CoinMint native kernel', 'not built', 'not built', 'n/a']]),
    ['openssl speed -bytes 64 sha256 (two compressions each)', mps(ossl1), mps(osslN), '100%'],
  ],
);
results.minting = { speeds, openssl: { oneCore: ossl1, allCores: osslN } };
const demoHashes = hashBudget(PARAMETER_SETS.demo, 0.9);
const demoTimes = speeds.map((m) => `${(demoHashes / m.allCores).toFixed(1)} s (${m.kernel})`).join(', ');
console.log('\nA ball preimage is one SHA-256 compression, a 64-byte openssl hash two: the native kernel can pass 100%.');
console.log(`Demo epoch (${fmt(demoHashes)} hashes, fill 0.9) at these speeds on ${cores} cores: about ${demoTimes}.`);

// 2. Coin verification: the vendor's check, k = 4 hashes with @noble/hashes.
const epoch = benchEpoch({ t: 4, u: 10, v: 6, k: 4 });
const slots = mintSlots(epoch);
const userId = 'u_00000000000bench';
const sample = coinsFor(epoch, slots, userId, 'http://127.0.0.1:1', 4);
const verifies = verificationsPerSecond(epoch, sample, userId, 'http://127.0.0.1:1');
// The same price, 4 mills, in both schemes: 4 coins (16 hashes) or one payment of 4 links (a MAC and 4 hashes).
const coinPayment4 = verifies / 4;
const link1 = paywordVerificationsPerSecond(1);
const link4 = paywordVerificationsPerSecond(4);
const firstOfChain = firstPaymentPerSecond();
const ed = ed25519PerSecond();
table(
  'Verification at the vendor (one core, @noble libraries)',
  ['what', 'per second', 'vs a MicroMint payment of the same price'],
  [
    ['MicroMint coin, k = 4 (4 SHA-256 + offsets from cache)', fmt(verifies), '(1 mill)'],
    ['MicroMint payment of 1 mill (1 coin)', fmt(verifies), '100%'],
    ['PayWord payment of 1 mill (HMAC + 1 hash, chain known)', fmt(link1), `${((link1 / verifies) * 100).toFixed(0)}%`],
    ['MicroMint payment of 4 mills (4 coins)', fmt(coinPayment4), '100%'],
    ['PayWord payment of 4 mills (HMAC + 4 hashes, chain known)', fmt(link4), `${((link4 / coinPayment4) * 100).toFixed(0)}%`],
    ['PayWord first payment of a chain (Ed25519 verify + X25519), on top', fmt(firstOfChain), ''],
    ['Ed25519 verification alone', fmt(ed), ''],
  ],
);
results.verification = {
  coin: verifies,
  micromint4: coinPayment4,
  payword1: link1,
  payword4: link4,
  paywordFirstOfChain: firstOfChain,
  ed25519: ed,
};

// 3. HTTP through the middleware.
const rows = await measureHttp(epoch, userId, (vendorId) => coinsFor(epoch, slots, userId, vendorId, 2 ** epoch.u / epoch.k));
const free = rows[0]!.requestsPerSecond;
table(
  'Requests through the middleware (autocannon, 10 connections, 1 KB page, loopback)',
  ['request', 'requests/s', 'vs free', 'requests', 'non-2xx'],
  rows.map((r) => [
    r.name,
    fmt(r.requestsPerSecond),
    `${((r.requestsPerSecond / free) * 100).toFixed(0)}%`,
    fmt(r.requests),
    fmt(r.non2xx),
  ]),
);
console.log('\nThe 402 challenge row answers non-2xx by design. Paid rows are on disk (the WAL fsynced) before they are served.');
results.http = rows;

// 4. PayWord through the middleware, beside its own free page (one run, the same machine state).
const pwRows = await measurePaywordHttp(epoch);
const pwFree = pwRows[0]!.requestsPerSecond;
table(
  'PayWord requests through the middleware (autocannon, 10 connections, 1 KB page, loopback)',
  ['request', 'requests/s', 'vs free', 'requests', 'non-2xx'],
  pwRows.map((r) => [
    r.name,
    fmt(r.requestsPerSecond),
    `${((r.requestsPerSecond / pwFree) * 100).toFixed(0)}%`,
    fmt(r.requests),
    fmt(r.non2xx),
  ]),
);
results.paywordHttp = pwRows;

// 5. Clearing at the broker: chains authorized, then cleared through POST /api/redeem in batches of 500.
const clearing = await measureClearing();
table(
  'Broker clearing (POST /api/redeem with chains, batches of 500, SQLite)',
  ['what', 'per second'],
  [
    [`chains cleared (${clearing.chains} chains of ${clearing.linksPerChain} links)`, fmt(clearing.chainsPerSecond)],
    ['links verified and paid', fmt(clearing.linksPerSecond)],
  ],
);
results.clearing = clearing;

// The broker's path: redemption with the double-spend check, and the mint database (bench/broker-path.ts).
const brokerPath = await measureBrokerPath();
table('Broker redemption (batches of 10,000, a durable transaction each) and the mint database', ['what', 'figure'], brokerPath.rows);
Object.assign(results, brokerPath.figures);
results.brokerPath = { mint: brokerPath.mint, redemption: brokerPath.redemption };

// Postgres: one site as one and as two vendor processes behind nginx (bench/postgres.ts).
const pg = await measurePostgres(epoch, slots);
if ('skipped' in pg) console.log(`\nPostgres rows skipped: ${pg.skipped}.`);
else {
  table(
    'Paid requests on Postgres, one and two vendor processes behind nginx (autocannon, 10 connections)',
    ['request', 'requests/s', 'requests', 'non-2xx'],
    pg.rows.map((r) => [r.name, fmt(r.requestsPerSecond), fmt(r.requests), fmt(r.non2xx)]),
  );
  const r = pg.brokerRedemption;
  table(
    'The broker on Postgres: redemption (batches of 10,000, a transaction each)',
    ['what', 'figure'],
    [
      [`coins redeemed per second, redeemBatch (${fmt(r.coins)} coins, each credited)`, fmt(r.coinsPerSecond)],
      ['coins redeemed per second, POST /api/redeem', fmt(r.httpCoinsPerSecond)],
      ['double spends refused and recorded per second, redeemBatch', fmt(r.doubleSpendsPerSecond)],
      ['broker database bytes per coin redeemed (tables and indexes)', fmt(r.dbBytesPerCoin)],
    ],
  );
  Object.assign(results, {
    postgres_paid_rps_1: pg.postgres_paid_rps_1,
    postgres_paid_rps_2: pg.postgres_paid_rps_2,
    postgres_redeem_coins_per_s: pg.postgres_redeem_coins_per_s,
    postgres_broker_bytes_per_coin: pg.postgres_broker_bytes_per_coin,
  });
}
results.postgres = pg;

// The wallet's paid path in real Chromium with the built extension: medians of 20 loads each (bench/ext-load.ts).
const extLoad = await measureExtLoad();
if (extLoad) {
  table(
    'First paid page load in the real extension vs a free page (Chromium, medians of 20 loads)',
    ['page', 'load', 'vs free'],
    extLoadRows(extLoad),
  );
  Object.assign(results, extLoadFigures(extLoad));
}
results.extLoad = extLoad;

// The vendor's paid path beside the same page free, in a site process of its own (bench/vendor-path.ts).
const vendorPath = await measureVendorPath(epoch, slots);
table(
  "The vendor's paid path vs the same page free (site process of its own, autocannon, 10 connections)",
  VENDOR_PATH_HEAD,
  vendorPath.rows,
);
Object.assign(results, vendorPath.figures);
results.vendorPath = { micromint: vendorPath.micromint, payword: vendorPath.payword };

writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log('\nWrote bench/results.json.');
