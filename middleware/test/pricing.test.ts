import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { PARAMETER_SETS, type EpochParams } from '@micromint/shared';
import { micromint } from '../src/index.ts';
import { challengeOf, listen, quietLogger, tempDir } from './harness.ts';
import { startVendor, writeSite, type Vendor } from './vendor.ts';

const epoch: EpochParams = {
  id: 'price-test',
  key: new Uint8Array(randomBytes(32)),
  ...PARAMETER_SETS.test,
  fixed: 3,
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
};
const BROKER = 'http://127.0.0.1:9';

let vendor: Vendor;
before(async () => {
  vendor = await startVendor({ broker: BROKER, epoch });
});
after(() => vendor.close());

const priceOf = async (path: string, init?: RequestInit): Promise<number | undefined> => {
  const res = await fetch(vendor.url + path, init);
  if (res.status !== 402) {
    await res.body?.cancel();
    return undefined;
  }
  await res.body?.cancel();
  return Number(challengeOf(res).accepts[0]!.amount);
};

describe('free content', () => {
  it('passes through untouched: same status, headers and body as without the middleware', async () => {
    const plain = express();
    plain.use(express.static(vendor.root, { cacheControl: false }));
    const bare = await listen(plain);
    try {
      for (const path of ['/free.html', '/', '/index.html', '/missing.html']) {
        const [a, b] = await Promise.all([fetch(vendor.url + path), fetch(bare.url + path)]);
        assert.equal(a.status, b.status, path);
        assert.equal(await a.text(), await b.text(), path);
        for (const h of ['content-type', 'etag', 'last-modified', 'cache-control', 'content-length'])
          assert.equal(a.headers.get(h), b.headers.get(h), `${path} ${h}`);
        assert.equal(a.headers.get('payment-required'), null);
        assert.equal(a.headers.getSetCookie().length, 0);
      }
    } finally {
      await bare.close();
    }
  });

  it('does not need the broker: free URLs work with no epoch and an unreachable broker', async () => {
    const res = await fetch(`${vendor.url}/free.html`, { method: 'HEAD' });
    assert.equal(res.status, 200);
  });
});

describe('.mm price files', () => {
  it('price a file from the .mm beside it', async () => {
    assert.equal(await priceOf('/articles/paid.html'), 2);
    assert.equal(await priceOf('/articles/cheap.html'), 1);
  });

  it('price a directory index from index.html.mm', async () => {
    assert.equal(await priceOf('/club/'), 4);
    assert.equal(await priceOf('/club/index.html'), 4);
  });

  it('price percent-encoded paths like the static server decodes them', async () => {
    assert.equal(await priceOf('/articles/paid%2Ehtml'), 2);
  });

  it('charge nothing for a .mm whose content file does not exist (404 from the static server)', async () => {
    const res = await fetch(`${vendor.url}/articles/ghost.html`);
    assert.equal(res.status, 404);
  });

  it('are never served: 404, in any spelling', async () => {
    for (const path of ['/articles/paid.html.mm', '/articles/paid.html%2Emm', '/articles/paid.html.MM', '/articles/ghost.html.mm']) {
      const res = await fetch(vendor.url + path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /^2/);
    }
  });

  it('are re-read when they change (mtime check)', async () => {
    const file = join(vendor.root, 'articles', 'cheap.html.mm');
    writeFileSync(file, '5\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    assert.equal(await priceOf('/articles/cheap.html'), 5);
    writeFileSync(file, '1');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    assert.equal(await priceOf('/articles/cheap.html'), 1);
  });

  it('a bad .mm file is a 500 with a clear log, not free content', async () => {
    const file = join(vendor.root, 'articles', 'broken.html');
    writeFileSync(file, '<h1>Should not leak</h1>');
    for (const text of ['two', '0', '1.5', '3\n4\n', '', '-2', '99999']) {
      writeFileSync(`${file}.mm`, text);
      utimesSync(`${file}.mm`, new Date(), new Date(Date.now() + Math.random() * 1e7));
      const errors = vendor.logger.errors.length;
      const res = await fetch(`${vendor.url}/articles/broken.html`);
      assert.equal(res.status, 500, JSON.stringify(text));
      assert.doesNotMatch(await res.text(), /Should not leak/);
      assert.equal(vendor.logger.errors.length, errors + 1);
      assert.match(vendor.logger.errors.at(-1)!, /broken\.html\.mm.*whole number of coins/);
    }
  });
});

describe('the prices option', () => {
  it('prices exact routes and globs, and leaves other routes free', async () => {
    assert.equal(await priceOf('/api/quote'), 1);
    assert.equal(await priceOf('/api/feeds/world'), 2);
    const free = await fetch(`${vendor.url}/api/feeds`);
    assert.equal(free.status, 404);
  });

  it('consults a price function with the request', async () => {
    assert.equal(await priceOf('/api/action', { method: 'POST' }), 3);
  });

  it('a price function returning a bad price is a 500, logged', async () => {
    const logger = quietLogger();
    const mm = micromint({
      vendorId: 'http://127.0.0.1:1',
      broker: BROKER,
      epoch,
      store: new (await import('../src/memory-store.ts')).MemoryVendorStore(),
      secret: 'x'.repeat(32),
      logger,
      prices: () => 0.5,
    });
    const app = express();
    app.use(mm);
    app.use((_req, res) => {
      res.send('content');
    });
    app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).send('error page');
    });
    const server = await listen(app);
    try {
      const res = await fetch(`${server.url}/x`);
      assert.equal(res.status, 500);
      assert.equal(await res.text(), 'error page');
      assert.match(logger.errors[0]!, /prices function.*returned 0\.5/);
    } finally {
      await server.close();
    }
  });

  it('map entries win over .mm files, most specific glob first', async () => {
    const logger = quietLogger();
    const tmp = tempDir();
    const root = writeSite(tmp.dir);
    const { MemoryVendorStore } = await import('../src/memory-store.ts');
    const mm = micromint({
      vendorId: 'http://127.0.0.1:1',
      broker: BROKER,
      epoch,
      root,
      store: new MemoryVendorStore(),
      secret: 'x'.repeat(32),
      logger,
      prices: { '/articles/*': 7, '/articles/special-*': 9, '/articles/cheap.html': 6 },
    });
    const app = express();
    app.use(mm);
    app.use(express.static(root));
    const server = await listen(app);
    const price = async (p: string) => {
      const res = await fetch(server.url + p, { headers: { accept: 'application/json' } });
      return res.status === 402 ? Number(challengeOf(res).accepts[0]!.amount) : res.status;
    };
    try {
      assert.equal(await price('/articles/cheap.html'), 6);
      assert.equal(await price('/articles/paid.html'), 7);
      assert.equal(await price('/articles/special-offer.html'), 9);
      assert.equal(await price('/free.html'), 200);
    } finally {
      await server.close();
      tmp.cleanup();
    }
  });
});
