/**
 * A vendor for the end-to-end tests of every kind of paid request (e2e/tests/requests.spec.ts):
 * an Express app with the MicroMint middleware (coins only) whose free pages make paid requests
 * the way real pages do, served on two origins at once: the vendor is `http://127.0.0.1:<port>`
 * (its vendor id), and the same server answers as `http://localhost:<port>`, a second origin for
 * pages that call or embed the vendor cross-origin.
 *
 * Paid (no access window: every load is paid): `/api/xhr` and `/api/cors` ({@link API_PRICE}),
 * `/framed/<name>.html` ({@link FRAME_PRICE}), `/embedded/<name>.html` ({@link EMBED_PRICE}, above
 * the default autopay threshold), and `/dyn/<name>.html`, priced by a function
 * ({@link DYNAMIC_PRICE}: the catalog cannot tell, the wallet asks on hover).
 * Free pages: `/xhr.html`, `/cors.html`, `/frame.html`, `/embed.html`, `/links.html`.
 * `GET /__requests` answers how many requests each `METHOD path` got (the test checks that no link
 * was asked about before the reader rested on it).
 *
 * `tsx e2e/apps/requests-vendor.ts --port 4004 --broker http://127.0.0.1:4000 --data <dir>`
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { micromint } from '@micromint/middleware';

/** Prices in mills (= coins). */
export const API_PRICE = 2;
export const FRAME_PRICE = 3;
export const EMBED_PRICE = 8;
export const DYNAMIC_PRICE = 9;

/** A small HTML page. */
const page = (title: string, body: string, head = ''): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}</head><body><h1>${title}</h1>${body}</body></html>`;

/** The free pages; `vendor` is the vendor's origin (127.0.0.1), `other` the second origin (localhost). */
function pages(vendor: string, other: string): Record<string, string> {
  return {
    // An asynchronous XHR of a paid API, with a header of its own and both kinds of listeners; and a synchronous one.
    '/xhr.html': page(
      'XHR',
      `<p id="result">waiting</p><p id="sync-result"></p><button id="sync" type="button">Sync XHR</button>
<script>
  const states = [];
  let loadstarts = 0;
  const x = new XMLHttpRequest();
  x.addEventListener('loadstart', () => loadstarts++);
  x.onreadystatechange = () => states.push(x.readyState);
  x.addEventListener('load', () => {
    const r = document.getElementById('result');
    r.dataset.status = String(x.status);
    r.dataset.states = states.join(',');
    r.dataset.loadstarts = String(loadstarts);
    r.dataset.receipt = x.getResponseHeader('PAYMENT-RESPONSE') ? 'yes' : 'no';
    r.textContent = x.responseText;
  });
  x.open('GET', '/api/xhr?n=1');
  x.setRequestHeader('X-Page', 'xhr-test');
  x.send();
  document.getElementById('sync').onclick = () => {
    const s = new XMLHttpRequest();
    s.open('GET', '/api/xhr?n=sync', false);
    s.send();
    document.getElementById('sync-result').dataset.status = String(s.status);
  };
</script>`,
    ),
    // Served on localhost: fetch() and XHR of the vendor on 127.0.0.1 (cross-origin, CORS).
    '/cors.html': page(
      'Cross-origin',
      `<p id="fetch-result">waiting</p><p id="xhr-result">waiting</p>
<script>
  fetch('${vendor}/api/cors?via=fetch').then(async (r) => {
    const p = document.getElementById('fetch-result');
    p.dataset.status = String(r.status);
    p.textContent = await r.text();
  });
  const x = new XMLHttpRequest();
  x.onload = () => {
    const p = document.getElementById('xhr-result');
    p.dataset.status = String(x.status);
    p.textContent = x.responseText;
  };
  x.open('GET', '${vendor}/api/cors?via=xhr');
  x.send();
</script>`,
    ),
    // Served on localhost: paid pages of the vendor inside iframes, one under the threshold and one above it.
    '/frame.html': page(
      'Frames',
      `<iframe id="paid" src="${vendor}/framed/one.html" width="480" height="200"></iframe>
<iframe id="dear" src="${vendor}/embedded/framed.html" width="360" height="420"></iframe>`,
    ),
    // The page API: price, pay, the event; and a price of another origin, refused.
    '/embed.html': page(
      'Embedded',
      `<div id="slot"></div><p id="price"></p><p id="other"></p><p id="event"></p><button id="buy" type="button">Read it</button>
<script>
  window.addEventListener('micromint-paid', (e) => {
    document.getElementById('event').dataset.detail = JSON.stringify(e.detail);
  });
  micromint.price('/embedded/map.html').then((p) => (document.getElementById('price').dataset.price = JSON.stringify(p)));
  micromint.price('${other}/embedded/map.html').then(
    () => (document.getElementById('other').dataset.error = 'none'),
    (e) => (document.getElementById('other').dataset.error = e.name),
  );
  document.getElementById('buy').onclick = async () => {
    const r = await micromint.pay('/embedded/map.html');
    const slot = document.getElementById('slot');
    slot.dataset.paid = String(r.paid);
    slot.dataset.mills = String(r.mills);
    slot.innerHTML = await r.response.text();
  };
</script>`,
    ),
    // Links whose prices come from the catalog (a glob) and from asking on hover (a price function).
    '/links.html': page(
      'Links',
      `<ul><li><a id="framed" href="/framed/two.html">A framed page</a></li><li><a id="dyn" href="/dyn/a.html">A page priced on the fly</a></li><li><a id="free" href="/xhr.html">A free page</a></li></ul>`,
      '<link rel="micromint-catalog" href="/.well-known/micromint">',
    ),
  };
}

/** Starts the vendor from its command line. */
function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, broker: { type: 'string' }, data: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port);
  const vendor = `http://127.0.0.1:${port}`;
  const other = `http://localhost:${port}`;
  mkdirSync(values.data!, { recursive: true });

  const app = express();
  const counts: Record<string, number> = {};
  app.use((req, _res, next) => {
    const key = `${req.method} ${req.path}`;
    counts[key] = (counts[key] ?? 0) + 1;
    next();
  });
  app.get('/__requests', (_req, res) => {
    res.json(counts);
  });
  const free = pages(vendor, other);
  app.get(Object.keys(free), (req, res) => {
    res.type('html').send(free[req.path]);
  });
  app.get('/', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.use(
    micromint({
      vendorId: vendor,
      broker: values.broker!,
      schemes: ['micromint'],
      prices: [
        {
          '/api/xhr': { price: API_PRICE, mimeType: 'application/json' },
          '/api/cors': { price: API_PRICE, mimeType: 'application/json' },
          '/framed/*': FRAME_PRICE,
          '/embedded/*': EMBED_PRICE,
        },
        (req) => (req.path.startsWith('/dyn/') ? DYNAMIC_PRICE : undefined),
      ],
      dbPath: join(values.data!, 'micromint-vendor.db'),
      secret: randomBytes(32),
      accessWindowSeconds: 0,
      description: 'A paid request',
    }),
  );
  app.get(['/api/xhr', '/api/cors'], (req, res) => {
    res.json({ paid: true, path: req.path, via: req.query.via ?? null, page: req.get('x-page') ?? null });
  });
  app.get(['/framed/:name.html', '/embedded/:name.html', '/dyn/:name.html'], (req, res) => {
    const name = String(req.params.name).replace(/[^\w-]/g, '');
    res.type('html').send(page(`Paid ${name}`, `<article id="paid-content"><p>Paid content ${name}.</p></article>`));
  });
  const server = app.listen(port, '127.0.0.1');
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
