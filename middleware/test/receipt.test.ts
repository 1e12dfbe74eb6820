/**
 * `holdServerErrors` on real Express apps on loopback: a 5xx is held until the take-back ran and
 * may still change headers, also when it comes from a mounted sub-app (which swaps the response's
 * prototype); a response below 500 goes out untouched; two holds on one response run both
 * callbacks, the newest first; a response object of another kind is watched too.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { holdServerErrors } from '../src/receipt.ts';

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function listen(app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An app whose every response is held with callbacks that log and mark the response; `/sub` is a mounted app. */
function site(calls: string[], holds = 1): Express {
  const app = express();
  app.use((_req, res, next) => {
    for (let i = 0; i < holds; i++)
      holdServerErrors(res, async (status) => {
        await new Promise((r) => setTimeout(r, 5));
        calls.push(`hold ${i}: ${status}`);
        res.setHeader(`x-taken-back-${i}`, String(status));
      });
    next();
  });
  const sub = express();
  sub.get('/boom', () => {
    throw new Error('a bug in the sub-app');
  });
  sub.get('/ok', (_req, res) => res.send('sub ok'));
  app.use('/sub', sub);
  app.get('/stream', (_req, res) => {
    res.statusCode = 502;
    res.write('part one, ');
    res.end('part two');
  });
  app.get('/ok', (_req, res) => res.send('ok'));
  // Quiet error handler: the default one would print the stack.
  app.use((_e: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send('failed');
  });
  return app;
}

describe('holdServerErrors', () => {
  it('holds a 5xx from a mounted sub-app until the take-back set its headers', async () => {
    const calls: string[] = [];
    const url = await listen(site(calls));
    const res = await fetch(`${url}/sub/boom`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), 'failed');
    assert.equal(res.headers.get('x-taken-back-0'), '500');
    assert.deepEqual(calls, ['hold 0: 500']);
  });

  it('holds streamed writes of a 5xx and sends them in order afterwards', async () => {
    const calls: string[] = [];
    const url = await listen(site(calls));
    const res = await fetch(`${url}/stream`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('x-taken-back-0'), '502');
    assert.equal(await res.text(), 'part one, part two');
    assert.deepEqual(calls, ['hold 0: 502']);
  });

  it('lets a response below 500 go untouched, in an app and in a sub-app', async () => {
    const calls: string[] = [];
    const url = await listen(site(calls));
    for (const path of ['/ok', '/sub/ok']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-taken-back-0'), null);
      await res.text();
    }
    assert.deepEqual(calls, []);
  });

  it('runs every hold of one response, the newest first', async () => {
    const calls: string[] = [];
    const url = await listen(site(calls, 2));
    const res = await fetch(`${url}/sub/boom`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-taken-back-0'), '500');
    assert.equal(res.headers.get('x-taken-back-1'), '500');
    assert.deepEqual(calls, ['hold 1: 500', 'hold 0: 500']);
    await res.text();
  });

  it('watches a response object of another kind', async () => {
    const sent: string[] = [];
    const res = {
      statusCode: 503,
      headersSent: false,
      destroyed: false,
      writableNeedDrain: false,
      headers: {} as Record<string, string>,
      setHeader(name: string, value: string) {
        this.headers[name] = value;
      },
      writeHead(status: number) {
        sent.push(`head ${status} ${JSON.stringify(this.headers)}`);
        this.headersSent = true;
        return this;
      },
      write(chunk: string) {
        sent.push(`write ${chunk}`);
        return true;
      },
      end(chunk?: string) {
        sent.push(`end ${chunk ?? ''}`);
        return this;
      },
      flushHeaders() {},
      emit() {
        return true;
      },
    };
    assert.equal(res instanceof ServerResponse, false);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    holdServerErrors(res as unknown as ServerResponse, async (status) => {
      await released;
      res.setHeader('x-status', String(status));
    });
    assert.equal(res.write('a'), false); // held: the writer waits
    res.end('b');
    assert.deepEqual(sent, []);
    release();
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sent, ['write a', 'end b']);
    res.writeHead(503);
    assert.deepEqual(sent, ['write a', 'end b', 'head 503 {"x-status":"503"}']);
  });
});
