/**
 * `npm test` stage "Packages, installed as an outside project would". It packs `@micromint/shared`, `middleware`
 * and `broker` with `npm pack` (each package's prepack builds it), installs the tarballs and express into a new
 * project in the system's temp folder, away from this repository's node_modules, and there:
 *
 * 1. type-checks a consumer against the installed declarations;
 * 2. starts a real broker from the installed bin (`npx micromint-broker serve --mint test`: a small epoch);
 * 3. runs the middleware README's `server.mjs` with plain `node`, gets the 402 of its paid page, buys a superbin set
 *    at the broker and pays the 402 with coins of it (built with the repository's `@micromint/shared`), gets the page;
 * 4. redeems with `npx micromint-redeem redeem` and checks that the broker credited the vendor;
 * 5. checks that both bins refuse an empty command line (usage on stderr, exit 2);
 * 6. runs the README's `server.cjs` (CommonJS, `import()`) to its 402, and `require()` where Node can;
 * 7. pays the page as a script would: an API token made on the broker's account page, then the installed
 *    `micromint-wallet` CLI's `login`, `buy --sets 1` and `get URL`.
 *
 * Prints a line per step; on failure, the step and the output of what failed, and keeps the project folder.
 * Run: `npx tsx --conditions=@micromint/source scripts/pack-test/run.ts`.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFundsWithdrawn, decodePaymentRequired, PAYMENT_REQUIRED_HEADER, readMicromintRequirements } from '@micromint/shared';
import { Browser, coinsFor } from '../../broker/test/helpers.ts';
import { freePort } from '../../e2e/servers.ts';
import { paymentHeader } from '../../middleware/test/harness.ts';
import { cleanEnv, run, runOk, start, stopAll, type Server } from './processes.ts';
import { middlewareReadme, writeSite } from './site.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['shared', 'middleware', 'broker', 'client'];
const MINUTE = 60_000;
const PAID_PAGE = '/article.html';
const PAID_TEXT = 'paid with a MicroMint coin';

let stepNo = 0;

/** Runs one step with a progress line before it and its time after it. */
async function step<T>(title: string, f: () => Promise<T>): Promise<T> {
  const started = performance.now();
  console.log(`  [${++stepNo}] ${title}`);
  const out = await f();
  console.log(`      ok in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

/** `npm pack` of the packages into `dest`; the tarballs' paths. */
async function pack(dest: string): Promise<string[]> {
  const workspaces = PACKAGES.flatMap((p) => ['--workspace', p]);
  await runOk('npm', ['pack', ...workspaces, '--pack-destination', dest], { cwd: repoRoot, what: 'npm pack', timeoutMs: 5 * MINUTE });
  return PACKAGES.map((p) => {
    const { name, version } = JSON.parse(readFileSync(join(repoRoot, p, 'package.json'), 'utf8')) as { name: string; version: string };
    const file = join(dest, `${name.slice(1).replace('/', '-')}-${version}.tgz`);
    if (!existsSync(file)) throw new Error(`npm pack wrote no ${file}`);
    return file;
  });
}

/** Installs the tarballs and express into `project` from npm's cache where it can; checks they are copies. */
async function install(project: string, tarballs: string[]): Promise<void> {
  const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, 'express@^5'];
  await runOk('npm', args, { cwd: project, what: 'npm install (in the outside project)', timeoutMs: 10 * MINUTE });
  for (const p of PACKAGES) {
    const installed = realpathSync(join(project, 'node_modules', '@micromint', p));
    assert.ok(installed.startsWith(realpathSync(project)), `@micromint/${p} is installed from ${installed}, not copied into the project`);
  }
}

/** Starts the installed broker on a free port; it mints a `test` epoch first. Checks the native kernel ran when it can. */
async function startBroker(project: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  const args = ['--no', 'micromint-broker', 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', join(dataDir, 'broker.db')];
  const broker = await start('npx', [...args, '--mint', 'test'], {
    cwd: project,
    what: 'the broker (npx micromint-broker serve)',
    url: `http://127.0.0.1:${port}`,
    readyPath: '/api/epochs/current',
    timeoutMs: 3 * MINUTE,
  });
  // The checkout built the native mint kernel, so the installed package's install script must have too.
  if (existsSync(join(repoRoot, 'broker/native/build/Release/mint_kernel.node')))
    assert.match(broker.output(), /native kernel/, `the installed broker did not mint with its native kernel:\n${broker.output()}`);
  return broker;
}

/** Registers `origin` as a vendor at the broker; its API key. */
async function registerVendor(broker: string, origin: string): Promise<string> {
  const res = await fetch(`${broker}/api/vendors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ origin, name: 'An outside site' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { apiKey?: string };
  assert.equal(res.status, 201, `POST /api/vendors answered ${res.status}: ${JSON.stringify(body)}`);
  return body.apiKey!;
}

/** Runs `file` (server.mjs or server.cjs) of the project with plain node on `port`. */
function startSite(project: string, file: string, port: number, env: Record<string, string>): Promise<Server> {
  return start(process.execPath, [file], {
    cwd: project,
    env: cleanEnv({ PORT: String(port), ...env }),
    what: `the site (node ${file})`,
    url: `http://127.0.0.1:${port}`,
    readyPath: '/index.html',
    timeoutMs: MINUTE,
  });
}

/** The micromint offer of the 402 at `url`. */
async function challenge(url: string): Promise<ReturnType<typeof readMicromintRequirements>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 402, `GET ${url} answered ${res.status}, not 402`);
  const offer = decodePaymentRequired(res.headers.get(PAYMENT_REQUIRED_HEADER)).accepts.find((a) => a.scheme === 'micromint');
  assert.ok(offer, `the 402 of ${url} offers no micromint scheme`);
  return readMicromintRequirements(offer);
}

/** A reader signs up at the broker, adds sandbox funds, buys one set and pays `url` with `price` of its coins. */
async function buyAndPay(broker: string, url: string, offer: ReturnType<typeof readMicromintRequirements>): Promise<string> {
  const reader = new Browser(broker);
  await reader.signUp('reader@outside.example');
  const funded = await reader.addFunds('1');
  assert.ok(funded.status < 400, `adding sandbox funds answered ${funded.status}`);
  const fw = decodeFundsWithdrawn((await reader.buy(1)).text);
  assert.equal(fw.epoch.id, offer.epoch, 'the set is of another epoch than the 402 asks for');
  const coins = coinsFor(fw, offer.vendorId).slice(0, offer.price);
  assert.equal(coins.length, offer.price, `one set pays only ${coins.length} coins at ${offer.vendorId}`);
  const header = paymentHeader({ url, vendorId: offer.vendorId, broker, epoch: fw.epoch, userId: fw.userId, coins });
  const res = await fetch(url, { headers: { 'payment-signature': header }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  assert.equal(res.status, 200, `the paid GET of ${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/** `npx micromint-redeem redeem` in the project, then the vendor's account at the broker. */
async function redeem(project: string, broker: string, apiKey: string, coins: number): Promise<void> {
  const args = ['--no', 'micromint-redeem', 'redeem', '--db', '.data/micromint-vendor.db', '--broker', broker, '--api-key', apiKey];
  const { stdout } = await runOk('npx', args, { cwd: project, what: 'npx micromint-redeem redeem', timeoutMs: MINUTE });
  assert.match(stdout, new RegExp(`Credited ${coins} coins \\(${coins} mills`), `micromint-redeem printed:\n${stdout}`);
  const res = await fetch(`${broker}/api/vendors/me`, { headers: { authorization: `Bearer ${apiKey}` } });
  const account = (await res.json()) as { redeemedCoins: number; balanceMills: number };
  assert.deepEqual(
    [account.redeemedCoins, account.balanceMills],
    [coins, coins],
    `the broker's account of the vendor: ${JSON.stringify(account)}`,
  );
}

/** Each bin, started with no command, prints its usage on stderr and exits 2 (never 0 having done nothing). */
async function emptyCommandLines(project: string): Promise<void> {
  for (const bin of ['micromint-redeem', 'micromint-broker']) {
    const done = await run('npx', ['--no', bin], { cwd: project, what: `npx ${bin}`, timeoutMs: MINUTE });
    assert.equal(done.code, 2, `npx ${bin} with no command exited ${done.code}:\n${done.stdout}${done.stderr}`);
    assert.match(done.stderr, /Usage:/, `npx ${bin} with no command printed no usage on stderr`);
  }
}

/** A reader makes an API token on the account page (the form answers with its secret, shown once). */
async function apiToken(broker: string): Promise<string> {
  const reader = new Browser(broker);
  await reader.signUp('script@outside.example');
  assert.ok((await reader.addFunds('1')).status < 400, 'adding sandbox funds failed');
  const { res, text } = await reader.post('/account/tokens', { name: 'pack test', limit: '' }, { csrf: await reader.csrf('/account') });
  const secret = /id="new-token"[^>]*>(mmt_[A-Za-z0-9_-]+)</.exec(text)?.[1];
  assert.ok(res.status === 201 && secret, `making an API token answered ${res.status}`);
  return secret;
}

/** The installed `micromint-wallet`: login with the token, buy a set, then `get` pays the page; the page's text. */
async function payWithCli(project: string, broker: string, token: string, url: string): Promise<string> {
  const wallet = ['--wallet', join(project, '.wallet')];
  const cli = (args: string[], what: string) =>
    runOk('npx', ['--no', 'micromint-wallet', ...args, ...wallet], {
      cwd: project,
      what,
      timeoutMs: MINUTE,
      env: cleanEnv({ MICROMINT_TOKEN: token }),
    });
  await cli(['login', '--broker', broker], 'npx micromint-wallet login');
  await cli(['buy', '--sets', '1', '--json'], 'npx micromint-wallet buy --sets 1');
  const { stdout, stderr } = await cli(['get', url, '--max-price', '5'], `npx micromint-wallet get ${url}`);
  assert.match(stderr, /paid 0\.2¢ by micromint/, `micromint-wallet get said on stderr:\n${stderr}`);
  return stdout;
}

/** On a Node that can `require()` ES modules (20.19+, 22.12+), a CommonJS `require` of each package works. */
async function requireAll(project: string): Promise<string> {
  if (!(process.features as { require_module?: boolean }).require_module) return `not on Node ${process.version}: import() only`;
  const code = `const mw = require('@micromint/middleware'), shared = require('@micromint/shared'), broker = require('@micromint/broker');
    if (typeof mw.micromint !== 'function' || shared.formatMoney(8) !== '0.8\\u00a2' || typeof broker.createBroker !== 'function') process.exit(1);`;
  await runOk(process.execPath, ['-e', code], { cwd: project, what: 'node -e "require(\'@micromint/middleware\')..."', timeoutMs: MINUTE });
  return `works on Node ${process.version}`;
}

/** The whole journey in `work`, a fresh temp folder. */
async function journey(work: string): Promise<void> {
  const project = join(work, 'site');
  mkdirSync(project);
  mkdirSync(join(work, 'tarballs'));
  assert.ok(!realpathSync(project).startsWith(realpathSync(repoRoot)), 'the outside project must be outside the repository');
  console.log(`  outside project: ${project}`);
  const tarballs = await step('npm pack shared, middleware, broker and client (each prepack compiles the package)', () =>
    pack(join(work, 'tarballs')),
  );
  writeSite(project, middlewareReadme(repoRoot));
  await step('npm install the tarballs and express@5 (about a minute: npm compiles better-sqlite3 and the mint kernel)', () =>
    install(project, tarballs),
  );
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await step('tsc on a consumer of the installed declarations', () =>
    runOk(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, what: 'tsc', timeoutMs: 2 * MINUTE }),
  );
  const broker = await step('npx micromint-broker serve --mint test (mints a small epoch first)', () =>
    startBroker(project, join(work, 'broker')),
  );
  const sitePort = await freePort();
  const origin = `http://127.0.0.1:${sitePort}`;
  const apiKey = await registerVendor(broker.url, origin);
  const site = await step("node server.mjs (the middleware README's site)", () =>
    startSite(project, 'server.mjs', sitePort, { MICROMINT_BROKER: broker.url, MICROMINT_API_KEY: apiKey }),
  );
  const offer = await step(`GET ${PAID_PAGE}: 402`, () => challenge(site.url + PAID_PAGE));
  assert.deepEqual(
    [offer.price, offer.vendorId, offer.broker],
    [2, origin, broker.url],
    'the 402 offers something else than the .mm file and options say',
  );
  const page = await step('buy a superbin set at the broker, pay the 402 with 2 coins of it', () =>
    buyAndPay(broker.url, site.url + PAID_PAGE, offer),
  );
  assert.ok(page.includes(PAID_TEXT), `the paid page is not the article:\n${page.slice(0, 500)}`);
  await step('npx micromint-redeem redeem: the broker credits the vendor 2 coins', () => redeem(project, broker.url, apiKey, offer.price));
  await step('npx micromint-redeem / micromint-broker with no command: usage on stderr, exit 2', () => emptyCommandLines(project));
  const cjs = await step('node server.cjs (CommonJS, import()): 402', async () =>
    startSite(project, 'server.cjs', await freePort(), { MICROMINT_BROKER: broker.url }),
  );
  const cjsOffer = await challenge(cjs.url + PAID_PAGE);
  assert.equal(cjsOffer.vendorId, cjs.url, 'the CommonJS site offers coins for another vendor');
  console.log(`      require(): ${await step('require() of the packages from CommonJS', () => requireAll(project))}`);
  const token = await apiToken(broker.url);
  const paid = await step('npx micromint-wallet login, buy --sets 1, get the paid page (a script pays)', () =>
    payWithCli(project, broker.url, token, site.url + PAID_PAGE),
  );
  assert.ok(paid.includes(PAID_TEXT), `micromint-wallet get printed something else than the article:\n${paid.slice(0, 500)}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'micromint-pack-'));
  const deadline = setTimeout(() => {
    console.error(`pack test: still running after 20 minutes, stopped (the project is kept in ${work})`);
    void stopAll().then(() => process.exit(1));
  }, 20 * MINUTE);
  deadline.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().then(() => process.exit(130)));
  try {
    await journey(work);
  } catch (e) {
    await stopAll();
    console.error(`\npack test failed at step ${stepNo}: ${(e as Error).message}\n(the project is kept in ${work})`);
    process.exit(1);
  }
  await stopAll();
  rmSync(work, { recursive: true, force: true });
  console.log(`  the packages work installed in an outside project (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
