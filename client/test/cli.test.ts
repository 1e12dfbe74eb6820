/**
 * `micromint-wallet` as a real process against the real broker and shop: login with a token, buy,
 * balance, get (paid, dry run, over --max-price, JSON), history, the exit codes, and return.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runToEnd } from './child.ts';
import { startWorld, tempDir, type World } from './world.ts';
import { freePort } from './ports.ts';

const BIN = new URL('../src/bin.ts', import.meta.url);
const cli = (args: string[], input?: string) => runToEnd(BIN, args, { MICROMINT_WALLET: '', MICROMINT_TOKEN: '' }, input);

describe('micromint-wallet', () => {
  let world: World;
  let dir: string;
  before(async () => {
    world = await startWorld();
    dir = tempDir('cli');
  });
  after(() => world.stop());

  it('logs in with a token on stdin and buys sets', async () => {
    const userId = await world.reader('cli@example.com');
    const login = await cli(['login', '--wallet', dir, '--broker', world.brokerUrl, '--json'], (await world.token(userId)) + '\n');
    assert.equal(login.code, 0, login.stderr);
    assert.equal(JSON.parse(login.stdout).userId, userId);
    const bought = await cli(['buy', '--wallet', dir, '--sets', '2', '--json']);
    assert.equal(bought.code, 0, bought.stderr);
    const { coins, sets } = JSON.parse(bought.stdout) as { coins: number; sets: number };
    assert.equal(sets, 2);
    const balance = await cli(['balance', '--wallet', dir, '--json']);
    assert.equal(JSON.parse(balance.stdout).coinsMills, coins);
    const human = await cli(['balance', '--wallet', dir]);
    assert.match(human.stdout, /Wallet: .* to spend/);
    assert.match(human.stdout, /Account at http:\/\/127\.0\.0\.1:\d+: \$4\.\d+/);
  });

  it('gets a paid article: the body on stdout, what was paid on stderr', async () => {
    const r = await cli(['get', '--wallet', dir, `${world.shop.url}/articles/sourdough-at-altitude.html`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /<html/i);
    assert.match(r.stderr, /^paid 0\.2¢ by micromint, receipt /m);
    const json = await cli(['get', '--wallet', dir, '--json', `${world.shop.url}/api/quote`]);
    assert.equal(json.code, 0);
    assert.equal(typeof JSON.parse(json.stdout).text, 'string');
    const note = JSON.parse(json.stderr) as { status: number; payment: { status: string; priceMills: number } };
    assert.deepEqual([note.status, note.payment.status, note.payment.priceMills], [200, 'paid', 1]);
  });

  it('shows the price on --dry-run and pays nothing; refuses over --max-price with exit code 3', async () => {
    const before = JSON.parse((await cli(['balance', '--wallet', dir, '--json', '--offline'])).stdout).coinsMills as number;
    const url = `${world.shop.url}/articles/the-cartographers-last-map.html`;
    const dry = await cli(['get', '--wallet', dir, '--dry-run', url]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /costs 0\.8¢ \(0\.8¢ by micromint, 0\.8¢ by payword; from the site’s price catalog\): within your caps/);
    const over = await cli(['get', '--wallet', dir, '--max-price', '0.5c', url]);
    assert.equal(over.code, 3);
    assert.match(over.stderr, /not paid: the price 0\.8¢ is over the most you pay per request \(0\.5¢\)/);
    const overDry = await cli(['get', '--wallet', dir, '--dry-run', '--max-price', '5', url, '--json']);
    assert.equal(overDry.code, 3);
    assert.equal(JSON.parse(overDry.stdout).withinCaps, false);
    const after = JSON.parse((await cli(['balance', '--wallet', dir, '--json', '--offline'])).stdout).coinsMills as number;
    assert.equal(after, before);
  });

  it('lists the history', async () => {
    const r = await cli(['history', '--wallet', dir, '--json']);
    const kinds = (JSON.parse(r.stdout) as { entries: { kind: string }[] }).entries.map((e) => e.kind);
    assert.ok(kinds.includes('import') && kinds.includes('spend') && kinds.includes('paid'), kinds.join());
    const ledger = await cli(['history', '--wallet', dir, '--account']);
    assert.match(ledger.stdout, /Account balance: \$4\./);
  });

  it('exits 2 on a bad command line and 4 when the site is unreachable', async () => {
    assert.equal((await cli(['get', '--wallet', dir])).code, 2);
    assert.equal((await cli(['buy', '--wallet', dir, '--sets', 'many'])).code, 2);
    assert.equal((await cli(['frobnicate'])).code, 2);
    const unreachable = await cli(['get', '--wallet', dir, `http://127.0.0.1:${await freePort()}/`]);
    assert.equal(unreachable.code, 4, unreachable.stderr);
    assert.doesNotMatch(unreachable.stderr, /\bat \w+ \(/, 'no stack trace');
  });
});

describe('micromint-wallet return', () => {
  let world: World;
  // The broker's clock runs with the real one, moved forward by the test once the coins are bought: the test does
  // not depend on how long the CLI takes to start on a loaded machine.
  let ahead = 0;
  before(async () => {
    world = await startWorld({ validSeconds: 60, redeemGraceSeconds: 1, now: () => new Date(Date.now() + ahead) });
  });
  after(() => world.stop());

  it('returns the unspent coins once returns open, and the broker credits them', async () => {
    const dir = tempDir('cli-return');
    const userId = await world.reader('return@example.com');
    assert.equal((await cli(['login', '--wallet', dir, '--broker', world.brokerUrl], await world.token(userId))).code, 0);
    const bought = JSON.parse((await cli(['buy', '--wallet', dir, '--json'])).stdout) as { coins: number };
    const early = await cli(['return', '--wallet', dir]);
    assert.match(early.stdout, /returns open at /);
    const windows = await fetch(`${world.brokerUrl}/api/returns`, { headers: { authorization: `Bearer ${await world.token(userId)}` } });
    const [opening] = ((await windows.json()) as { returns: { open: boolean; returnsFrom: string }[] }).returns;
    assert.ok(opening && !opening.open, 'returns are not open yet');
    ahead = Date.parse(opening.returnsFrom) - Date.now() + 1000;
    const done = await cli(['return', '--wallet', dir, '--json']);
    assert.equal(done.code, 0, done.stderr);
    const [result] = (JSON.parse(done.stdout) as { returns: { state: string; balls: number; creditedMills: number }[] }).returns;
    assert.deepEqual([result?.state, result?.balls, result?.creditedMills], ['credited', bought.coins, bought.coins]);
    const again = JSON.parse((await cli(['return', '--wallet', dir, '--json'])).stdout) as { returns: { state: string }[] };
    assert.equal(again.returns[0]?.state, 'nothing');
  });
});
