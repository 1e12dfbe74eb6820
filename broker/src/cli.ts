/**
 * The broker's command line, installed as `micromint-broker` (the program is `bin.ts`, which runs {@link main}).
 *
 * ```
 * micromint-broker mint    --db <file> --params demo|test [--epoch <id>] [--fill 0.9] [--workers N] [--valid-days 30 | --valid-seconds N]
 *                        [--farm <postgres-url> [--farm-schema micromint_farm] [--ranges N]]
 * micromint-broker mint-worker --farm <postgres-url> [--farm-schema micromint_farm] [--workers N] [--lease 60] [--wait 60]
 * micromint-broker serve   [--port 4000] [--host 127.0.0.1] [--db <file>] [--public-url <url>] [--mint demo|test] [--valid-...]
 *                        [--redeem-grace 604800] [--complaint-threshold 5] [--complaint-min-spend 10] [--complaint-share 0.25]
 *                        [--complaint-window-days 30] [--registrations-per-hour 20] [--redeems-per-minute 60]
 *                        [--redeems-per-minute-per-address 600] [--credits-per-minute 30]
 *                        [--chain-grace 86400] [--max-chain-expiry 2592000] [--max-chain-length 10000]
 *                        [--chains-per-minute 30] [--chains-per-minute-per-address 120] [--wallet-zip <file>]
 * micromint-broker enable-vendor --db <file> --vendor <origin>
 * micromint-broker copy-to-postgres --db <file> --postgres <url|env> [--postgres-schema micromint_broker]
 * micromint-broker measure [--params demo] [--seconds 2] [--workers N]
 * ```
 * Every command that opens the broker's store takes `--postgres <url> [--postgres-schema micromint_broker]`
 * in place of `--db <file>`: `--postgres env` reads the URL (which holds a password) from
 * `$MICROMINT_BROKER_POSTGRES_URL`, as `micromint-redeem --postgres env` does for the vendor's store.
 * @module
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { MAX_CHAIN_LENGTH, PARAMETER_SETS } from '@micromint/shared';
import { createBroker, enableVendor, epochTimeline, type Broker } from './index.ts';
import { brokerStoreOf, describeStore } from './cli-store.ts';
import { copySqliteToPostgres } from './db/pg/copy.ts';
import { resolvePostgresBrokerOptions } from './db/pg/options.ts';
import { measureMint } from './mint/measure.ts';
import { MAX_FARM_RANGES, farmMintEpoch, type FarmSummary } from './mint/farm-coordinator.ts';
import { assertFarmUrl, resolveFarmOptions, type FarmOptions } from './mint/farm-options.ts';
import { runFarmWorker, type FarmWorkerEvent } from './mint/farm-worker.ts';
import { mintEpoch, type MintProgress, type MintSummary } from './mint/mint.ts';
import type { Store } from './db/store.ts';
import type { BrokerOptions } from './options.ts';

/** What `micromint-broker` takes; printed with a usage error and for `help`. */
export const USAGE = `Usage:
  micromint-broker mint    --db <file> | --postgres <url> --params demo|test [--epoch <id>] [--fill 0.9] [--workers N]
                           [--valid-days 30 | --valid-seconds N]
                           [--farm <postgres-url>]        hash on mint-worker processes through the farm's PostgreSQL
                           [--farm-schema micromint_farm] [--ranges N]   (the farm database holds the secret seed)
  micromint-broker mint-worker --farm <postgres-url> [--farm-schema micromint_farm] [--workers N]
                           [--lease 60] [--wait 60]       hash ranges of the farm's jobs until none is left
  micromint-broker serve   [--port 4000] [--host 127.0.0.1] [--db .data/broker.db | --postgres <url>] [--public-url http://HOST:PORT]
                           [--mint demo|test] [--valid-days 30 | --valid-seconds N]   (for the epoch --mint makes)
                           [--redeem-grace 604800]        seconds after expiry that vendors may still redeem; returns open then
                           [--complaint-threshold 5] [--complaint-min-spend 10] [--complaint-share 0.25] [--complaint-window-days 30]
                           [--registrations-per-hour 20] [--redeems-per-minute 60] [--redeems-per-minute-per-address 600]
                           [--credits-per-minute 30]
                           [--chain-grace 86400]          seconds after a PayWord chain expires that its vendor may still clear it;
                                                          the unspent hold goes back to the user then
                           [--max-chain-expiry 2592000]   latest expiry a chain may name, in seconds from its authorization
                           [--max-chain-length 10000]     most links in a chain (at most 100000)
                           [--chains-per-minute 30] [--chains-per-minute-per-address 120]
                           [--wallet-zip <file>]          the built wallet (dist/micromint-wallet.zip) offered at /wallet
  micromint-broker enable-vendor --db <file> | --postgres <url> --vendor <origin>   enable a vendor disabled after complaints
  micromint-broker copy-to-postgres --db <file> --postgres <url|env> [--postgres-schema <name>]
                           copy a STOPPED broker's SQLite file into an empty PostgreSQL schema (one transaction),
                           then check it; the file is left as it was. Stop the broker first: the copy holds the
                           file's write lock, and fails if a broker is writing it.
  micromint-broker measure [--params demo] [--seconds 2] [--workers N]

The broker's store, for every command that opens it:
  --db <file>                     a SQLite file (serve's default .data/broker.db): one broker process
  --postgres <url>                a PostgreSQL database, postgres://user:password@host:5432/db, or "env" to read
                                  the URL from $MICROMINT_BROKER_POSTGRES_URL: every broker instance given the
                                  same database is one broker (the schema is created on first start)
  --postgres-schema <name>        the schema of the broker's tables (default micromint_broker)`;

/** A command line the broker cannot run as given (no command, an unknown one): exit code 2, with the usage. */
export class UsageError extends RangeError {
  override name = 'UsageError';
}

type ParamName = keyof typeof PARAMETER_SETS;

function paramsOf(name: string | undefined): (typeof PARAMETER_SETS)[ParamName] {
  if (!name || !Object.hasOwn(PARAMETER_SETS, name))
    throw new RangeError(`--params must be one of ${Object.keys(PARAMETER_SETS).join(', ')}`);
  return PARAMETER_SETS[name as ParamName];
}

function intOption(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function shareOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[0-9.]+$/.test(text) || !(n > 0 && n <= 1)) throw new RangeError(`--${name} must be a number above 0 and at most 1, e.g. 0.25`);
  return n;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The summary printed after minting; `by` is what hashed (threads here, worker processes on a farm). */
function formatSummary(s: MintSummary, by = 'thread'): string {
  const p = s.epoch;
  return [
    `Epoch ${p.id}: t=${p.t} u=${p.u} v=${p.v} k=${p.k} fixed=${p.fixed}, expires ${p.expiresAt}`,
    `  hashes           ${fmt(s.hashes)}`,
    `  balls counted    ${fmt(s.ballsCounted)} (hashes with the ${p.t} fixed bits)`,
    `  filled slots     ${fmt(s.filledSlots)} of ${fmt(s.slots)} (${(s.filledFraction * 100).toFixed(2)}%)`,
    `  sellable sets    ${fmt(s.sets)} (2^u / k, disjoint)`,
    `  coins            ~${fmt(s.coins)} (balls in the first superbins of those sets)`,
    `  per-vendor coins ~${fmt(s.vendorCoins)} (~${s.vendorCoinsPerSet.toFixed(1)} per set at one vendor: 2^v * f^k)`,
    `  time             ${(s.ms / 1000).toFixed(2)} s on ${s.workers} ${by}(s), of which ${(s.storeMs / 1000).toFixed(2)} s storing`,
    `  speed            ${(s.hashesPerSecond / 1e6).toFixed(2)} M hashes/s (${(s.hashesPerSecond / s.workers / 1e6).toFixed(2)} M/s per ${by}, ${s.kernel} kernel)`,
  ].join('\n');
}

/** A progress bar of hashes on stderr (drawn when it is a terminal); `extra` adds fields to its line. */
function hashBar(label: string, extra = '') {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% | {value}/{total} hashes${extra} | {speed} M/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? fmt(v) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let begun = false;
  return {
    /** Moves the bar; returns the speed shown (M hashes/s). */
    update({ hashes, total }: MintProgress, payload: Record<string, unknown> = {}): string {
      const speed = (hashes / ((performance.now() - started) / 1000) / 1e6).toFixed(2);
      if (!begun) bar.start(total, 0, { speed, ...payload });
      begun = true;
      bar.update(hashes, { speed, ...payload });
      return speed;
    },
    stop: () => bar.stop(),
  };
}

type MintCliOptions = { epochId?: string; fill?: number; workers?: number; validDays?: number; validSeconds?: number };

async function mintWithBar(store: Store, name: string, o: MintCliOptions): Promise<MintSummary> {
  const bar = hashBar('Minting');
  try {
    const summary = await mintEpoch({ store, params: paramsOf(name), ...o, onProgress: (p) => bar.update(p) });
    bar.update({ hashes: summary.hashes, total: summary.hashes });
    return summary;
  } finally {
    bar.stop();
  }
}

/** `mint --farm`: puts the job on the farm, shows ranges done and hashes/s while workers hash it, stores the epoch. */
async function farmMintWithBar(
  store: Store,
  name: string,
  o: MintCliOptions & { farm: { connectionString: string; schema?: string }; ranges?: number },
) {
  const bar = hashBar('Farm', ' | {rangesDone}/{ranges} ranges');
  const stop = new AbortController();
  const interrupt = () => stop.abort(new RangeError('interrupted: the farm job and its seed were deleted; nothing was stored'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let told = -1;
  try {
    return await farmMintEpoch({
      store,
      params: paramsOf(name),
      ...o,
      signal: stop.signal,
      onProgress: (p) => {
        if (told < 0)
          console.error(`Farm job ${p.job}: ${p.ranges} ranges; waiting for: micromint-broker mint-worker --farm <the same URL>`);
        const speed = bar.update(p, { rangesDone: p.rangesDone, ranges: p.ranges });
        // Off a terminal the bar is not drawn: a line each time a range is done.
        if (!process.stderr.isTTY && p.rangesDone !== told)
          console.error(`farm: ${p.rangesDone}/${p.ranges} ranges done, ${speed} M hashes/s`);
        told = p.rangesDone;
      },
    });
  } finally {
    bar.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/** The farm's lines below the summary. */
const formatFarm = (s: FarmSummary): string =>
  `  farm             job ${s.job}: ${s.ranges} ranges, ${s.reclaimed} claimed again after a lease ran out (time includes waiting for workers)`;

/** What `mint-worker` prints as it goes, on stderr. */
function formatWorkerEvent(e: FarmWorkerEvent): string {
  if (e.type === 'ready') return `mint-worker ${e.id}: connected to the farm, ${e.threads} thread(s), ${e.kernel} kernel`;
  if (e.type === 'claimed')
    return `range ${e.range} of job ${e.job}: counters ${e.first}..${e.end - 1}${e.claims > 1 ? ` (claim ${e.claims})` : ''}`;
  const rate = e.hashes / (e.ms / 1000) / 1e6;
  return `range ${e.range} of job ${e.job}: ${fmt(e.hashes)} hashes in ${(e.ms / 1000).toFixed(2)} s (${rate.toFixed(2)} M/s, ${e.kernel})${e.accepted ? '' : ', not kept: done already by another worker, or the job is gone'}`;
}

/** The options every command reads from (each takes the ones it knows; `parseArgs` refuses any other). */
const OPTIONS = {
  db: { type: 'string' },
  postgres: { type: 'string' },
  'postgres-schema': { type: 'string' },
  params: { type: 'string' },
  epoch: { type: 'string' },
  fill: { type: 'string' },
  workers: { type: 'string' },
  'valid-days': { type: 'string' },
  'valid-seconds': { type: 'string' },
  'redeem-grace': { type: 'string' },
  'complaint-min-spend': { type: 'string' },
  'complaint-share': { type: 'string' },
  'complaint-window-days': { type: 'string' },
  'registrations-per-hour': { type: 'string' },
  'redeems-per-minute': { type: 'string' },
  'redeems-per-minute-per-address': { type: 'string' },
  'credits-per-minute': { type: 'string' },
  'chain-grace': { type: 'string' },
  'max-chain-expiry': { type: 'string' },
  'max-chain-length': { type: 'string' },
  'chains-per-minute': { type: 'string' },
  'chains-per-minute-per-address': { type: 'string' },
  vendor: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'public-url': { type: 'string' },
  'wallet-zip': { type: 'string' },
  mint: { type: 'string' },
  'complaint-threshold': { type: 'string' },
  seconds: { type: 'string' },
  farm: { type: 'string' },
  'farm-schema': { type: 'string' },
  ranges: { type: 'string' },
  lease: { type: 'string' },
  wait: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parsed options. */
type Values = ReturnType<typeof parseOptions>;

const parseOptions = (args: string[]) => parseArgs({ args, options: OPTIONS, strict: true }).values;

/** What every command runs with: the options, and what several of them share. */
interface Run {
  values: Values;
  /** `--workers`: mint threads, or a farm worker's ranges at once. */
  workers: number | undefined;
  /** The options of a mint (`mint`, and `serve --mint`). */
  mintOptions: MintCliOptions;
  /** `--farm` (and `--farm-schema`), when given. */
  farm: FarmOptions | undefined;
}

/** `mint`: mints an epoch here, or through a farm of `mint-worker`s. */
async function mintCommand({ values, workers, mintOptions, farm }: Run): Promise<void> {
  const store = brokerStoreOf(values, 'mint');
  if (farm && workers) throw new RangeError('mint --farm hashes on the workers: give --workers to mint-worker');
  if (!farm && (values['farm-schema'] || values.ranges)) throw new RangeError('--farm-schema and --ranges go with --farm <postgres-url>');
  if (farm) {
    assertFarmUrl(farm.connectionString, '--farm');
    resolveFarmOptions(farm);
  }
  const ranges = intOption(values.ranges, 'ranges', 1, MAX_FARM_RANGES);
  const broker = await openBroker({ ...store, publicUrl: values['public-url'] ?? 'http://127.0.0.1:4000' });
  try {
    const name = values.params ?? 'demo';
    if (!farm) console.log(formatSummary(await mintWithBar(broker.store, name, mintOptions)));
    else {
      const summary = await farmMintWithBar(broker.store, name, { ...mintOptions, farm, ...(ranges ? { ranges } : {}) });
      console.log(`${formatSummary(summary, 'worker')}\n${formatFarm(summary)}`);
    }
  } finally {
    await broker.close();
  }
}

/** Creates the broker, making the SQLite file's directory first. */
async function openBroker(options: BrokerOptions): Promise<Broker> {
  if (options.dbPath !== undefined) mkdirSync(dirname(options.dbPath), { recursive: true });
  return createBroker(options);
}

/** The broker's policy options of `serve`, those given. */
function policyOf(values: Values): Partial<BrokerOptions> {
  const policy = {
    complaintThreshold: intOption(values['complaint-threshold'], 'complaint-threshold', 1, 1_000_000),
    complaintMinSpendMills: intOption(values['complaint-min-spend'], 'complaint-min-spend', 1, 1e12),
    complaintShare: shareOption(values['complaint-share'], 'complaint-share'),
    complaintWindowDays: intOption(values['complaint-window-days'], 'complaint-window-days', 1, 3660),
    redeemGraceSeconds: intOption(values['redeem-grace'], 'redeem-grace', 0, 3660 * 86_400),
    registrationsPerHour: intOption(values['registrations-per-hour'], 'registrations-per-hour', 1, 1_000_000),
    redeemsPerMinute: intOption(values['redeems-per-minute'], 'redeems-per-minute', 1, 1_000_000),
    redeemsPerMinutePerAddress: intOption(values['redeems-per-minute-per-address'], 'redeems-per-minute-per-address', 1, 1_000_000),
    creditsPerMinute: intOption(values['credits-per-minute'], 'credits-per-minute', 1, 1_000_000),
    chainGraceSeconds: intOption(values['chain-grace'], 'chain-grace', 0, 3660 * 86_400),
    maxChainExpirySeconds: intOption(values['max-chain-expiry'], 'max-chain-expiry', 1, 3660 * 86_400),
    maxChainLength: intOption(values['max-chain-length'], 'max-chain-length', 1, MAX_CHAIN_LENGTH),
    chainsPerMinute: intOption(values['chains-per-minute'], 'chains-per-minute', 1, 1_000_000),
    chainsPerMinutePerAddress: intOption(values['chains-per-minute-per-address'], 'chains-per-minute-per-address', 1, 1_000_000),
  };
  return Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined));
}

/** What `serve` prints once it listens: where, on which store, the current epoch and the chain rules. */
async function printServing(broker: Broker): Promise<void> {
  const o = broker.options;
  const epoch = await broker.store.epochs.current(new Date());
  console.log(`MicroMint broker on ${o.publicUrl} (store ${describeStore(o)}, epoch ${epoch?.params.id ?? 'none: run mint'})`);
  if (epoch) {
    const t = await epochTimeline(broker.context, epoch);
    console.log(`  epoch ${epoch.params.id}: expires ${t.expiresAt}, redeemable until ${t.redeemBy}, returns from ${t.returnsFrom}`);
  }
  console.log(
    `  payword chains: at most ${o.maxChainLength} links, expiring within ${o.maxChainExpirySeconds} s, cleared until expiry + ${o.chainGraceSeconds} s`,
  );
  console.log(o.walletZip ? `  wallet download: ${o.walletZip} at ${o.publicUrl}/wallet` : '  wallet download: none (--wallet-zip)');
}

/** Listens on `host`:`port`; rejects when it cannot (the port is taken, say). */
function listen(broker: Broker, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = broker.app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * On the first SIGINT or SIGTERM: stops accepting connections, lets the requests under way finish, then
 * closes the broker (its store once the open transaction is done) and exits. A second signal ends the
 * process at once (the handlers are gone), losing nothing a transaction committed.
 */
function closeOnSignal(server: Server, broker: Broker): void {
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.error(`${signal}: finishing the requests under way, then closing the store.`);
    server.close(() => {
      broker.close().then(
        () => process.exit(0),
        (e: unknown) => {
          console.error('error: closing the store failed:', e);
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `serve`: the broker on HTTP (minting first with `--mint` when no epoch is current); runs until SIGINT/SIGTERM. */
async function serveCommand({ values, mintOptions }: Run): Promise<void> {
  const port = intOption(values.port, 'port', 0, 65535) ?? 4000;
  const host = values.host ?? '127.0.0.1';
  const broker = await openBroker({
    ...brokerStoreOf(values, 'serve', '.data/broker.db'),
    publicUrl: values['public-url'] ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ...policyOf(values),
    ...(values['wallet-zip'] !== undefined ? { walletZip: values['wallet-zip'] } : {}),
  });
  try {
    if (values.mint !== undefined && !(await broker.store.epochs.current(new Date()))) {
      console.error(`No current epoch: minting one with the ${values.mint} parameters first.`);
      console.error(formatSummary(await mintWithBar(broker.store, values.mint, mintOptions)));
    }
    const server = await listen(broker, port, host);
    closeOnSignal(server, broker);
    await printServing(broker);
  } catch (e) {
    await broker.close();
    throw e;
  }
}

/** `enable-vendor`: a vendor disabled after complaints may sell again. */
async function enableVendorCommand({ values }: Run): Promise<void> {
  const store = brokerStoreOf(values, 'enable-vendor');
  if (!values.vendor) throw new RangeError('enable-vendor needs --vendor <origin>');
  const broker = await openBroker({ ...store, publicUrl: values['public-url'] ?? 'http://127.0.0.1:4000' });
  try {
    if (!(await enableVendor(broker.context, values.vendor))) throw new RangeError(`no vendor ${values.vendor}`);
    console.log(`Vendor ${values.vendor} is enabled; complaints filed before now no longer count.`);
  } finally {
    await broker.close();
  }
}

/** `mint-worker`: hashes ranges of the farm's jobs until none is left. */
async function mintWorkerCommand({ values, workers, farm }: Run): Promise<void> {
  if (!farm) throw new RangeError('mint-worker needs --farm <postgres-url>');
  assertFarmUrl(farm.connectionString, '--farm');
  const report = await runFarmWorker({
    farm,
    ...(workers ? { threads: workers } : {}),
    ...(values.lease ? { leaseSeconds: intOption(values.lease, 'lease', 1, 86_400)! } : {}),
    ...(values.wait ? { waitSeconds: intOption(values.wait, 'wait', 0, 86_400)! } : {}),
    onEvent: (e) => console.error(formatWorkerEvent(e)),
  });
  console.log(`mint-worker ${report.id}: ${report.ranges} range(s), ${fmt(report.hashes)} hashes (${report.kernel} kernel); no job left`);
}

/** `copy-to-postgres`: a stopped broker's SQLite file into an empty PostgreSQL schema, checked; a line per table on stderr. */
async function copyToPostgresCommand({ values }: Run): Promise<void> {
  const { db, postgres } = values;
  if (db === undefined || postgres === undefined)
    throw new RangeError("copy-to-postgres needs --db <file> (the stopped broker's SQLite file) and --postgres <url|env>");
  const target = brokerStoreOf({ postgres, 'postgres-schema': values['postgres-schema'] }, 'copy-to-postgres').postgres!;
  const s = await copySqliteToPostgres({
    dbPath: db,
    postgres: target,
    onTable: (t) => console.error(`copied ${t.table}: ${fmt(t.rows)} row(s) in ${(t.ms / 1000).toFixed(2)} s`),
  });
  const to = describeStore({ dbPath: undefined, postgres: resolvePostgresBrokerOptions(target) });
  console.log(`Copied ${s.tables.length} tables, ${fmt(s.rows)} rows, from SQLite ${db} to ${to} in ${(s.ms / 1000).toFixed(2)} s.`);
  console.log(`Checked: the row count of every table, and the ledger's sum for each of its ${fmt(s.owners)} owner(s), are the same.`);
  console.log(`Serve with --postgres (and this --postgres-schema) from now on; ${db} was not changed.`);
}

/** `measure`: hashes/s of the minting loop on one thread and on all. */
async function measureCommand({ values, workers }: Run): Promise<void> {
  const seconds = values.seconds ? Number(values.seconds) : 2;
  const speed = await measureMint({ params: paramsOf(values.params ?? 'demo'), seconds, ...(workers ? { workers } : {}) });
  console.log(`kernel:        ${speed.kernel}`);
  console.log(`single thread: ${(speed.singleCore / 1e6).toFixed(2)} M hashes/s`);
  console.log(`${speed.workers} threads:    ${(speed.allCores / 1e6).toFixed(2)} M hashes/s`);
}

/** The commands, by name. */
const COMMANDS: Readonly<Record<string, (run: Run) => Promise<void>>> = {
  mint: mintCommand,
  serve: serveCommand,
  'enable-vendor': enableVendorCommand,
  'copy-to-postgres': copyToPostgresCommand,
  'mint-worker': mintWorkerCommand,
  measure: measureCommand,
};

/**
 * Runs the command in `argv` (without node and script). Throws {@link UsageError} for a command line it cannot
 * run, and `RangeError` / `TypeError` for a bad option value; `serve` resolves once listening and keeps running.
 * @example
 * await main(['mint', '--db', '.data/broker.db', '--params', 'test']);
 */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const values = parseOptions(rest);
  if (values.help || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  if (!command) throw new UsageError('a command is required');
  const run = COMMANDS[command];
  if (!run || !Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`);
  const workers = intOption(values.workers, 'workers', 1, 256);
  const mintOptions = {
    ...(values.epoch ? { epochId: values.epoch } : {}),
    ...(values.fill ? { fill: Number(values.fill) } : {}),
    ...(workers ? { workers } : {}),
    ...(values['valid-days'] ? { validDays: intOption(values['valid-days'], 'valid-days', 1, 3660)! } : {}),
    ...(values['valid-seconds'] ? { validSeconds: intOption(values['valid-seconds'], 'valid-seconds', 1, 3660 * 86_400)! } : {}),
  };
  const farm =
    values.farm === undefined
      ? undefined
      : { connectionString: values.farm, ...(values['farm-schema'] ? { schema: values['farm-schema'] } : {}) };
  await run({ values, workers, mintOptions, farm });
}
