/**
 * Starts the broker and the demo shop as real processes on free loopback ports, each with a fresh
 * data directory, and stops them afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
/** tsx's arguments before a script: workspace packages resolve to their TypeScript sources (no build needed). */
export const TSX_ARGS = ['--conditions=@micromint/source'];

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Running {
  url: string;
  dataDir: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs `tsx <script> ...args` and waits until `readyPath` on `url` answers (any status below 500). */
export async function startServer(
  name: string,
  script: string,
  args: string[],
  url: string,
  readyPath: string,
  dataDir: string,
): Promise<Running> {
  let log = '';
  const child: ChildProcess = spawn(tsx, [...TSX_ARGS, join(repoRoot, script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'test', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(url + readyPath, { signal: AbortSignal.timeout(5_000) });
      if (res.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dataDir,
    output: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `micromint-${prefix}-`));

/** The wallet extension zipped by `npm run build`. */
export const walletZipPath = join(repoRoot, 'dist', 'micromint-wallet.zip');

/** Extra `serve` options of a broker, e.g. a short epoch whose returns open soon. */
export interface BrokerStart {
  /** Lifetime of the minted epoch in seconds (`--valid-seconds`); default: the broker's. */
  validSeconds?: number;
  /** Seconds after expiry vendors may still redeem, after which returns open (`--redeem-grace`). */
  redeemGraceSeconds?: number;
  /** Latest expiry a PayWord chain may name, in seconds from its authorization (`--max-chain-expiry`). */
  maxChainExpirySeconds?: number;
  /** Seconds after a chain's expiry its vendor may still clear it, before the hold is released (`--chain-grace`). */
  chainGraceSeconds?: number;
}

/** A broker on a free loopback port with a fresh database, minting the fast `test` epoch. */
export async function startBroker(o: BrokerStart = {}): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = tempDir('broker');
  const args = [
    'serve',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--db',
    join(dataDir, 'broker.db'),
    '--public-url',
    url,
    '--mint',
    'test',
  ];
  if (o.validSeconds !== undefined) args.push('--valid-seconds', String(o.validSeconds));
  if (o.redeemGraceSeconds !== undefined) args.push('--redeem-grace', String(o.redeemGraceSeconds));
  if (o.maxChainExpirySeconds !== undefined) args.push('--max-chain-expiry', String(o.maxChainExpirySeconds));
  if (o.chainGraceSeconds !== undefined) args.push('--chain-grace', String(o.chainGraceSeconds));
  // The wallet the build zipped, offered on the broker's wallet page as the demo does.
  if (existsSync(walletZipPath)) args.push('--wallet-zip', walletZipPath);
  return startServer('broker', 'broker/src/bin.ts', args, url, '/api/epochs/current', dataDir);
}

/** Extra options of the demo shop. */
export interface ShopStart {
  /** Seconds a paid page stays open without paying again (`--access-window`; 0: every load is paid). */
  accessWindowSeconds?: number;
  /** Start it again: the port and data directory of a shop that ran before (same vendor, same store, same API key). */
  again?: Running;
}

/** The demo shop on a free loopback port with a fresh data directory, selling for coins (and, with its API key, chains) of `brokerUrl`. */
export async function startShop(brokerUrl: string, o: ShopStart = {}): Promise<Running> {
  const url = o.again?.url ?? `http://127.0.0.1:${await freePort()}`;
  const dataDir = o.again?.dataDir ?? tempDir('shop');
  const args = ['--port', new URL(url).port, '--host', '127.0.0.1', '--broker', brokerUrl, '--data', dataDir];
  if (o.accessWindowSeconds !== undefined) args.push('--access-window', String(o.accessWindowSeconds));
  return startServer('shop', 'middleware/examples/shop/server.ts', args, url, '/', dataDir);
}

/** The vendor of e2e/apps/scheme-vendor.ts, offering only `schemes` (e.g. `['payword']`). */
export async function startSchemeVendor(brokerUrl: string, schemes: readonly string[]): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = tempDir(`vendor-${schemes.join('-')}`);
  return startServer(
    `${schemes.join('+')} vendor`,
    'e2e/apps/scheme-vendor.ts',
    ['--port', String(port), '--broker', brokerUrl, '--data', dataDir, '--schemes', schemes.join(',')],
    url,
    '/',
    dataDir,
  );
}

/** The one-page vendor of e2e/apps/big-vendor.ts (an article of 200 coins), selling for coins of `brokerUrl`. */
export async function startBigVendor(brokerUrl: string): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = tempDir('big-vendor');
  return startServer(
    'big vendor',
    'e2e/apps/big-vendor.ts',
    ['--port', String(port), '--broker', brokerUrl, '--data', dataDir],
    url,
    '/',
    dataDir,
  );
}
