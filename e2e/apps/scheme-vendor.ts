/**
 * A small vendor for the end-to-end tests that offers exactly the schemes it is told to, unlike the
 * demo shop (coins, and chains once it has an API key): `--schemes micromint` takes coins only,
 * `--schemes payword` chains only. It registers at the broker on first start (the API key goes to
 * `<data>/vendor.json`, as the shop keeps it, for `middleware/src/cli.ts redeem`) and serves
 * `/notes/<anything>.html` at {@link NOTE_PRICE} mills each, with no access window: every load of
 * a note is paid.
 *
 * `tsx e2e/apps/scheme-vendor.ts --port 4003 --broker http://127.0.0.1:4000 --data <dir> --schemes payword`
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { micromint, SCHEME_NAMES, type SchemeName } from '@micromint/middleware';

/** Price of every note, in mills (coins, or links of 1 mill). */
export const NOTE_PRICE = 1;
/** A note's path. */
export const notePath = (name: string): string => `/notes/${name}.html`;
/** The h1 of a paid note. */
export const noteTitle = (name: string): string => `Field note ${name}`;

async function apiKeyOf(dataDir: string, brokerUrl: string, vendorId: string, schemes: readonly SchemeName[]): Promise<string> {
  const file = join(dataDir, 'vendor.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { vendorId?: string; apiKey?: string };
    if (saved.vendorId === vendorId && saved.apiKey) return saved.apiKey;
  }
  const res = await fetch(`${brokerUrl}/api/vendors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ origin: vendorId, name: `e2e vendor (${schemes.join(', ')})` }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { apiKey?: string };
  if (res.status !== 201 || !body.apiKey) throw new Error(`vendor registration answered ${res.status}`);
  writeFileSync(file, JSON.stringify({ vendorId, apiKey: body.apiKey }, null, 2) + '\n', { mode: 0o600 });
  return body.apiKey;
}

/** Starts the vendor from its command line. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, broker: { type: 'string' }, data: { type: 'string' }, schemes: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port);
  const url = `http://127.0.0.1:${port}`;
  const brokerUrl = values.broker!.replace(/\/+$/, '');
  const schemes = (values.schemes ?? 'micromint').split(',') as SchemeName[];
  if (!schemes.length || schemes.some((s) => !SCHEME_NAMES.includes(s))) throw new Error(`--schemes takes ${SCHEME_NAMES.join(', ')}`);
  mkdirSync(values.data!, { recursive: true });
  const apiKey = await apiKeyOf(values.data!, brokerUrl, url, schemes);

  const app = express();
  app.get('/', (_req, res) => {
    res.type('text/plain').send(`ok: ${schemes.join(', ')}`);
  });
  app.use(
    micromint({
      vendorId: url,
      broker: brokerUrl,
      apiKey,
      schemes,
      linkValue: 1,
      prices: { '/notes/*': NOTE_PRICE },
      dbPath: join(values.data!, 'micromint-vendor.db'),
      secret: randomBytes(32),
      accessWindowSeconds: 0,
      description: 'A field note',
    }),
  );
  app.get('/notes/:name.html', (req, res) => {
    const title = noteTitle(String(req.params.name).replace(/[^\w-]/g, ''));
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
  <body><article><h1>${title}</h1><p>Paid with ${schemes.join(' or ')}.</p></article></body></html>`);
  });
  const server = app.listen(port, '127.0.0.1');
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
