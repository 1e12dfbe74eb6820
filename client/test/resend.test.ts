/**
 * Payments whose answer never came, sent again: `resendPending` / `resendPayment`, the `pending`
 * and `resend` commands and the MCP tools, against the real broker and a real Express vendor with
 * the real middleware, behind a loopback proxy that can lose an answer (a 500 before the vendor
 * saw the payment, or after it recorded it) or reset the connection. The vendor's `redeem()` at
 * the broker judges that nothing was paid twice.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { x402Client } from '@x402/core/client';
import { wrapFetchWithPayment } from '@x402/fetch';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { micromintNetwork, PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER } from '@micromint/shared';
import { registerVendor } from '../../broker/src/index.ts';
import { micromint } from '../../middleware/src/index.ts';
import { createMcpServer } from '../src/mcp/server.ts';
import { readChallenge } from '../src/pay/challenge.ts';
import { abandonPayment, preparePayment } from '../src/pay/payer.ts';
import { paymentOf } from '../src/pay/payment-info.ts';
import { resendPayment, resendPending } from '../src/pay/resend.ts';
import { wrapFetch, type Fetch } from '../src/pay/wrap-fetch.ts';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { micromintScheme } from '../src/x402/scheme-client.ts';
import { runToEnd } from './child.ts';
import { startWorld, tempDir, type World } from './world.ts';

const BIN = new URL('../src/bin.ts', import.meta.url);
const cli = (args: string[]) => runToEnd(BIN, args, { MICROMINT_WALLET: '', MICROMINT_TOKEN: '' });

/** What the proxy does with the next paid request: pass it, answer 500 without forwarding, forward and lose the answer, reset. */
type Mode = 'pass' | 'drop-before' | 'drop-after' | 'reset';

/** A vendor (Express + the middleware, `/article/*` at 2 coins unless `free`) behind a proxy at `url`, its vendor id. */
interface Vendor {
  url: string;
  free: boolean;
  /** Modes of the next paid requests, in order (then `pass`). */
  next: Mode[];
  /** The payment header (or body) of every paid request that reached the proxy. */
  seen: string[];
  redeem(): Promise<{ credited: number; refused: unknown[] }>;
  stop(): Promise<void>;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const close = async (server: Server): Promise<void> => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};
const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'content-encoding']);

async function startVendor(world: World): Promise<Vendor> {
  const dir = tempDir('resend-vendor');
  const upstream = createServer();
  const front = createServer();
  const upstreamUrl = await listen(upstream);
  const url = await listen(front);
  const v: Vendor = { url, free: false, next: [], seen: [], redeem: () => mm.redeem(), stop: async () => undefined };
  const mm = micromint({
    vendorId: url,
    broker: world.brokerUrl,
    apiKey: (await registerVendor(world.broker.context, { origin: url, name: 'The resend test vendor' })).apiKey,
    prices: (req) => (req.path.startsWith('/article/') && !v.free ? 2 : undefined),
    dbPath: join(dir, 'vendor.db'),
    secret: 's'.repeat(32),
    accessWindowSeconds: 0,
    logger: { warn: () => undefined, error: (m: string) => console.error(m) },
  });
  const app = express();
  app.use(mm);
  app.use((req, res) => void res.type('text').send(`the text of ${req.path}`));
  upstream.on('request', app);
  front.on('request', async (req, res) => {
    const body = await readBody(req);
    const payment = req.headers[PAYMENT_SIGNATURE_HEADER.toLowerCase()] ?? (body.length ? body.toString() : undefined);
    const mode = payment === undefined ? 'pass' : (v.next.shift() ?? 'pass');
    if (typeof payment === 'string') v.seen.push(payment);
    if (mode === 'reset') return void req.socket.destroy();
    if (mode === 'drop-before') return void res.writeHead(500).end('the vendor is unavailable');
    const headers = Object.entries(req.headers).filter(([k]) => !HOP.has(k)) as [string, string][];
    const answer = await fetch(upstreamUrl + req.url, {
      method: req.method!,
      headers,
      ...(body.length ? { body: new Uint8Array(body) } : {}),
    });
    const bytes = Buffer.from(await answer.arrayBuffer());
    if (mode === 'drop-after') return void res.writeHead(500).end('the answer was lost');
    res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !HOP.has(k))));
    res.end(bytes);
  });
  v.stop = async () => {
    await close(front);
    await close(upstream);
    await mm.close();
  };
  return v;
}

describe('resending payments awaiting an answer', () => {
  let world: World;
  let vendor: Vendor;
  before(async () => {
    world = await startWorld();
    vendor = await startVendor(world);
  });
  after(async () => {
    await vendor.stop();
    await world.stop();
  });

  /** A wallet with a set of coins. */
  async function funded(name: string): Promise<{ dir: string; wallet: Wallet }> {
    const dir = tempDir(`resend-${name}`);
    const wallet = openWallet(dir);
    wallet.importFunds(await world.buy(await world.reader(`${name}@example.com`), 1));
    return { dir, wallet };
  }

  /** Pays `url` with the proxy set to lose the answer as `mode`: the payment stays pending. */
  async function lost(wallet: Wallet, url: string, mode: Mode) {
    vendor.next = [mode];
    const res = await wrapFetch(fetch, { wallet })(url);
    await res.arrayBuffer();
    assert.deepEqual([res.status, paymentOf(res)?.status], [500, 'pending']);
    return wallet.pending().find((p) => p.url === url)!;
  }

  it('a 500 after the vendor recorded it: resend sends the same header, the payment is paid, the coins are credited once', async () => {
    const { wallet } = await funded('lost-answer');
    try {
      const coins = wallet.balance().coins;
      const url = `${vendor.url}/article/lost-answer`;
      const seen = vendor.seen.length;
      const pending = await lost(wallet, url, 'drop-after');
      assert.deepEqual([pending.attempts, wallet.balance().pending, wallet.balance().coins], [1, 2, coins - 2]);

      const [r, ...rest] = await resendPending(wallet);
      assert.deepEqual(rest, []);
      assert.deepEqual([r?.paymentId, r?.outcome, r?.status, r?.attempts, r?.spentMills], [pending.id, 'paid', 200, 2, 2]);
      assert.deepEqual(vendor.seen.slice(seen), [pending.header, pending.header], 'the same header, byte for byte');
      assert.deepEqual([wallet.pending().length, wallet.balance().pending, wallet.balance().coins], [0, 0, coins - 2]);
      assert.deepEqual(await resendPending(wallet), [], 'nothing left to send');
      const report = await vendor.redeem();
      assert.deepEqual([report.credited, report.refused], [2, []], 'the vendor was paid each coin once');
    } finally {
      wallet.close();
    }
  });

  it('a URL that is free now: the vendor answers no_payment_required and the coins come back', async () => {
    const { wallet } = await funded('now-free');
    try {
      const coins = wallet.balance().coins;
      const pending = await lost(wallet, `${vendor.url}/article/now-free`, 'drop-before');
      vendor.free = true;
      const r = await resendPayment(wallet, pending.id);
      assert.deepEqual([r.outcome, r.reason, r.spentMills], ['released', 'no_payment_required', 0]);
      assert.equal(wallet.balance().coins, coins, 'the coins are spendable again');
    } finally {
      vendor.free = false;
      wallet.close();
    }
  });

  it('a payment never sent is let go (its coins back, nothing sent); one being sent now is left alone', async () => {
    const { wallet } = await funded('never-sent');
    try {
      const coins = wallet.balance().coins;
      const url = `${vendor.url}/article/never-sent`;
      const unpaid = await fetch(url);
      await unpaid.arrayBuffer();
      const challenge = readChallenge(unpaid.headers.get(PAYMENT_REQUIRED_HEADER), new URL(url));
      // The spend transaction of wrapFetch, and no request after it: as if the process had died there.
      const { payment } = await preparePayment(wallet, challenge, { url, method: 'GET' }, wallet.caps);
      assert.equal(wallet.balance().coins, coins - 2);
      const seen = vendor.seen.length;
      const [busy] = await resendPending(wallet);
      assert.deepEqual([busy?.paymentId, busy?.outcome], [payment.id, 'busy'], 'this process is sending it');
      abandonPayment(wallet, payment);
      const [r] = await resendPending(wallet);
      assert.deepEqual([r?.outcome, r?.attempts, r?.spentMills], ['let-go', 0, 0]);
      assert.equal(vendor.seen.length, seen, 'nothing went to the vendor');
      assert.deepEqual([wallet.balance().coins, wallet.pending().length], [coins, 0]);
    } finally {
      wallet.close();
    }
  });

  it('a payment an x402 client sent counts as sent: it is resent, not let go', async () => {
    const { wallet } = await funded('x402');
    try {
      const url = `${vendor.url}/article/x402`;
      const client = new x402Client().register(micromintNetwork(world.brokerUrl) as `${string}:${string}`, micromintScheme(wallet));
      vendor.next = ['drop-after'];
      const res = await wrapFetchWithPayment(fetch, client)(url);
      await res.arrayBuffer();
      assert.equal(res.status, 500);
      const [pending] = wallet.pending();
      assert.deepEqual([pending?.url, pending?.attempts], [url, 1]);
      const [r] = await resendPending(wallet);
      assert.deepEqual([r?.outcome, r?.attempts], ['paid', 2]);
      assert.deepEqual([(await vendor.redeem()).credited], [2]);
    } finally {
      wallet.close();
    }
  });

  it('links: the same range again, the chain reveals nothing new', async () => {
    const dir = tempDir('resend-links');
    const wallet = openWallet(dir);
    try {
      const userId = await world.reader('resend-links@example.com');
      wallet.importFunds(await world.buy(userId, 1));
      await world.connect(wallet, userId);
      wallet.configure({ policy: { openChainAfter: 1 } });
      const url = `${world.shop.url}/articles/sourdough-at-altitude.html`;
      // The shop's answer is lost on the way back.
      const lossy: Fetch = async (input, init) => {
        const res = await fetch(input, init);
        if (!new Request(input, init).headers.has(PAYMENT_SIGNATURE_HEADER)) return res;
        await res.arrayBuffer();
        return new Response('lost', { status: 502 });
      };
      const res = await wrapFetch(lossy, { wallet })(url);
      await res.arrayBuffer();
      assert.deepEqual([paymentOf(res)?.status, paymentOf(res)?.scheme], ['pending', 'payword']);
      const next = wallet.chainList()[0]!.next;
      const [r] = await resendPending(wallet);
      assert.deepEqual([r?.outcome, r?.status, r?.scheme], ['paid', 200, 'payword']);
      assert.equal(wallet.chainList()[0]!.next, next, 'no new link revealed');
      const report = await world.shop.middleware.redeem();
      assert.equal(report.chainMills, wallet.payments(10).find((p) => p.id === r!.paymentId)!.price);
    } finally {
      wallet.close();
    }
  });

  it('checks its options and ids', async () => {
    const { wallet } = await funded('options');
    try {
      await assert.rejects(resendPending(wallet, { limit: 0 }), RangeError);
      await assert.rejects(resendPending(wallet, { fetch: 'no' as unknown as Fetch }), TypeError);
      await assert.rejects(resendPayment(wallet, 'zz'), RangeError);
      await assert.rejects(resendPayment(wallet, '00000000'), (e) => (e as { code?: string }).code === 'unknown-payment');
    } finally {
      wallet.close();
    }
  });

  it('the pending and resend commands: a table, a line per payment, a summary, exit codes and clear errors', async () => {
    const { dir, wallet } = await funded('cli');
    try {
      const url = `${vendor.url}/article/cli`;
      const p = await lost(wallet, url, 'drop-before');
      const short = p.id.slice(0, 8);
      const list = await cli(['pending', '--wallet', dir]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID +PRICE +SCHEME +ATTEMPTS +AGE +URL$/m);
      assert.match(list.stdout, new RegExp(`^${short} +2 coins \\(0\\.2¢\\) +micromint +1 +\\d+[smhd] +${url}$`, 'm'));
      assert.match(list.stdout, /1 payment\(s\) hold 0\.2¢ awaiting an answer/);
      const json = JSON.parse((await cli(['pending', '--wallet', dir, '--json'])).stdout) as { payments: { id: string }[] };
      assert.deepEqual(
        json.payments.map((x) => x.id),
        [p.id],
      );

      for (const [args, code, message] of [
        [[], 2, /needs --all or a payment id/],
        [['--all', short], 2, /not both/],
        [['no-such-id!'], 2, /is not a payment id/],
        [['deadbeef'], 1, /has no payment deadbeef/],
      ] as const) {
        const r = await cli(['resend', '--wallet', dir, ...args]);
        assert.deepEqual([r.code, r.stdout], [code, ''], r.stderr);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\bat \w+ \(/, 'no stack trace');
      }

      vendor.next = ['drop-after'];
      const again = await cli(['resend', '--wallet', dir, '--all']);
      assert.equal(again.code, 1, again.stderr);
      assert.match(
        again.stdout,
        new RegExp(`^${short}  no answer again: 2 coins \\(0\\.2¢\\) by micromint for ${url} \\(HTTP 500; attempt 2\\)$`, 'm'),
      );
      assert.match(again.stdout, /1 payment\(s\): 1 no answer again; \$0\.00 came back to the wallet; 1 still awaiting an answer\./);

      const paid = await cli(['resend', '--wallet', dir, short]);
      assert.equal(paid.code, 0, paid.stderr);
      assert.match(
        paid.stdout,
        new RegExp(`^${short}  paid: 2 coins \\(0\\.2¢\\) by micromint for ${url} \\(HTTP 200; attempt 3\\)$`, 'm'),
      );
      assert.match(paid.stdout, /1 payment\(s\): 1 paid; \$0\.00 came back to the wallet\./);
      const twice = await cli(['resend', '--wallet', dir, short]);
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /is paid already: there is nothing to send again/);

      const q = await lost(wallet, `${vendor.url}/article/cli-2`, 'drop-before');
      vendor.next = ['reset'];
      const down = await cli(['resend', '--wallet', dir, '--all', '--json']);
      assert.equal(down.code, 4, down.stderr);
      const [result] = (JSON.parse(down.stdout) as { results: { paymentId: string; outcome: string }[] }).results;
      assert.deepEqual([result?.paymentId, result?.outcome], [q.id, 'unreachable']);
      assert.match(down.stderr, /^$/, 'no error printed: the result says it');
      assert.equal(wallet.pending()[0]?.id, q.id, 'still pending');
      const none = await cli(['resend', '--wallet', dir, '--all', '--older-than', '3600']);
      assert.deepEqual([none.code, none.stdout.trim()], [0, '1 payment(s) await an answer; none was last sent long enough ago.']);
      assert.equal((await cli(['resend', '--wallet', dir, '--all'])).code, 0);
      assert.equal((await cli(['pending', '--wallet', dir])).stdout.trim(), 'No payments awaiting an answer.');
      const report = await vendor.redeem();
      assert.deepEqual([report.credited, report.refused], [4, []], 'each coin credited once, after five sendings');
    } finally {
      wallet.close();
    }
  });

  it('the MCP tools pending_payments and resend_pending', async () => {
    const { wallet } = await funded('mcp');
    const client = new Client({ name: 'resend-test', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await createMcpServer(wallet).connect(a);
    await client.connect(b);
    try {
      const p = await lost(wallet, `${vendor.url}/article/mcp`, 'drop-before');
      const tools = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(tools.includes('pending_payments') && tools.includes('resend_pending'), tools.join());
      const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;
      assert.match(text(await client.callTool({ name: 'pending_payments', arguments: {} })), new RegExp(`${p.id}: 2 mills by micromint`));
      const bad = await client.callTool({ name: 'resend_pending', arguments: { paymentId: '00000000' } });
      assert.deepEqual([bad.isError, /has no payment 00000000/.test(text(bad))], [true, true]);
      const done = await client.callTool({ name: 'resend_pending', arguments: { paymentId: p.id.slice(0, 8) } });
      assert.equal(done.isError, undefined);
      assert.match(text(done), new RegExp(`${p.id}: paid`));
    } finally {
      await client.close();
      wallet.close();
    }
  });
});
