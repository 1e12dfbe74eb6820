/**
 * A stand-in broker and vendor for checking the built extension in Chromium without the real ones:
 * just enough of the team contract's HTTP surface (402 challenge, paid retry, refusal, funds page,
 * Send-Expired page, /api/credit). The real broker and middleware live in broker/ and middleware/.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  coinId,
  decodePaymentPayload,
  decodeRequestCredit,
  encodeHeader,
  encodeSendExpired,
  micromintNetwork,
  micromintRequirements,
  readMicromintPayload,
  toHex,
  verifyCoin,
  X402_VERSION,
  type EpochParams,
} from '@micromint/shared';

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

/** The stand-in broker: a "purchase" page embedding a Funds-Withdrawn, a return page, /api/credit. */
export async function startMockBroker(o: { funds: () => string; withdrawalId: string; userId: string; epoch: EpochParams }) {
  const credited: string[][] = [];
  const app = express();
  let url = '';
  app.get('/account/withdrawals/:id', (_req, res) => {
    res.type('html').send(
      page(
        'Your purchase',
        `<p class="micromint-status" data-withdrawal-id="${o.withdrawalId}">Waiting for your MicroMint wallet...</p>
         <script type="application/x-micromint" class="micromint-funds" data-withdrawal-id="${o.withdrawalId}">
${o.funds()}</script>`,
      ),
    );
  });
  app.get('/account/return', (_req, res) => {
    const msg = encodeSendExpired({ broker: url, userId: o.userId, epoch: o.epoch.id, returnUrl: `${url}/api/credit` });
    res.type('html').send(page('Return unspent coins', `<p class="micromint-status">Waiting for your MicroMint wallet...</p><script type="application/x-micromint" class="micromint-send-expired">\n${msg}</script>`));
  });
  app.post('/api/credit', express.text({ type: 'application/x-micromint' }), (req, res) => {
    const credit = decodeRequestCredit(req.body as string);
    credited.push(credit.balls.map(toHex));
    res.json({ credited: credit.balls.length, creditedMills: credit.balls.length, refused: 0 });
  });
  const started = await listen(app);
  url = started.url;
  return { ...started, credited };
}

/** The stand-in vendor: paid pages at /article/:price, a refusing page, a flaky page, a fetch() API. */
export async function startMockVendor(o: { broker: () => string; epoch: EpochParams; funds: () => string }) {
  const app = express();
  let origin = '';
  /** coin id -> URL it paid for (the vendor's double-spending memory). */
  const seen = new Map<string, string>();
  const paidRequests: { url: string; coins: string[] }[] = [];
  /** While true, /flaky drops every paid request without an answer (a lost response). */
  const flaky = { drop: true };

  const challenge = (url: string, price: number, extra: { error?: string; refused?: { coinId: string; reason: string }[] } = {}) =>
    encodeHeader({
      x402Version: X402_VERSION,
      ...(extra.error ? { error: extra.error } : {}),
      resource: { url, description: `Article for ${price} coins`, mimeType: 'text/html' },
      accepts: [
        // An offer in a scheme the wallet does not know comes first: the wallet must skip it.
        { scheme: 'payword', network: 'payword:test', amount: String(price), asset: 'payword-link', payTo: origin, maxTimeoutSeconds: 60 },
        micromintRequirements({ price, vendorId: origin, broker: o.broker(), epoch: o.epoch.id }),
      ],
      ...(extra.refused ? { extensions: { micromint: { refused: extra.refused } } } : {}),
    });

  /** Checks a payment; returns null when paid, or the refusal. */
  function check(url: string, price: number, header: string, refuseAll?: string) {
    const payload = decodePaymentPayload(header);
    const { userId, coins } = readMicromintPayload(o.epoch, payload);
    const ids = coins.map(coinId);
    if (refuseAll) return { error: refuseAll, refused: ids.map((id) => ({ coinId: id, reason: refuseAll })) };
    if (coins.length !== price) return { error: 'wrong-amount', refused: [] };
    const refused: { coinId: string; reason: string }[] = [];
    coins.forEach((c, i) => {
      const v = verifyCoin(o.epoch, c, userId, origin);
      if (!v.ok) refused.push({ coinId: ids[i]!, reason: v.reason });
      else if (seen.has(ids[i]!) && seen.get(ids[i]!) !== url) refused.push({ coinId: ids[i]!, reason: 'already-spent' });
    });
    if (refused.length) return { error: refused[0]!.reason, refused };
    ids.forEach((id) => seen.set(id, url));
    paidRequests.push({ url, coins: ids });
    return { userId, ids };
  }

  function paywalled(price: (req: express.Request) => number, opts: { refuseAll?: string; flaky?: boolean; json?: boolean } = {}) {
    return (req: express.Request, res: express.Response) => {
      const url = `${origin}${req.originalUrl}`;
      const p = price(req);
      res.set('Cache-Control', 'no-store');
      const header = req.get('PAYMENT-SIGNATURE');
      if (header) {
        const result = check(url, p, header, opts.refuseAll);
        if (opts.flaky && flaky.drop) {
          // The vendor took the coins, then the answer is lost.
          req.socket.destroy();
          return;
        }
        if ('ids' in result) {
          res.set('PAYMENT-RESPONSE', encodeHeader({ success: true, transaction: `pay_${paidRequests.length}`, network: micromintNetwork(o.broker()), payer: result.userId, extensions: { micromint: { coins: result.ids } } }));
          if (opts.json) res.json({ paid: true, price: p });
          else res.type('html').send(page('Paid article', `<p id="content">The article you paid ${p} coins for.</p>`));
          return;
        }
        res.status(402).set('PAYMENT-REQUIRED', challenge(url, p, result));
        if (opts.json) res.json({ error: result.error });
        else res.type('html').send(page('Payment refused', `<p id="paywall">Refused: ${result.error}</p>`));
        return;
      }
      res.status(402).set('PAYMENT-REQUIRED', challenge(url, p));
      if (opts.json) res.json({ error: 'payment required' });
      else res.type('html').send(page('Paywall', `<p id="paywall">This article costs ${p} coins.</p>`));
    };
  }

  app.get('/article/:price', paywalled((req) => Number(req.params.price)));
  app.get('/refusing', paywalled(() => 1, { refuseAll: 'wrong-vendor' }));
  app.get('/flaky', paywalled(() => 2, { flaky: true }));
  app.get('/api/data', paywalled(() => 1, { json: true }));
  app.get('/app', (_req, res) => {
    res.type('html').send(
      page('App', `<pre id="out">loading</pre><script>
        fetch('/api/data').then(async (r) => { document.getElementById('out').textContent = r.status + ' ' + (await r.text()); });
      </script>`),
    );
  });
  app.get('/', (_req, res) => res.type('html').send(page('Shop', '<p>Welcome</p>')));
  // A page that is not the broker's, pretending to deliver funds: the wallet must ignore it.
  app.get('/fake-funds', (_req, res) => {
    res.type('html').send(page('Free coins', `<p class="micromint-status">Waiting...</p><script type="application/x-micromint" class="micromint-funds">\n${o.funds()}</script>`));
  });
  const started = await listen(app);
  origin = started.url;
  return { ...started, seen, paidRequests, flaky };
}
