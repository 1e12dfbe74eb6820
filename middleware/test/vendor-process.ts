/**
 * One instance of a vendor on Postgres, in a process of its own: several of them behind nginx are
 * one site. Run as a script it serves `/paid/<name>` (2 coins, or 2 links of a chain, by default) and `/free`
 * under the site's public origin (nginx's), tagging every answer with `x-instance`; imported, it
 * starts such processes ({@link spawnVendor}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';
import { micromint, PostgresVendorStore, type SchemeName } from '../src/index.ts';
import { waitForPort } from './nginx.ts';

/** What an instance is told (as JSON in MM_VENDOR). */
export interface VendorProcessConfig {
  instance: string;
  port: number;
  /** The site's public origin: nginx's, the same for every instance. */
  vendorId: string;
  broker: string;
  apiKey: string;
  postgres: string;
  schema: string;
  schemes?: SchemeName[];
  /** Coins (or links) per paid page (default 2). */
  price?: number;
}

/** A running instance. */
export interface VendorProcess {
  instance: string;
  port: number;
  child: ChildProcess;
  /** What it wrote to stderr (warnings). */
  stderr(): string;
  /** SIGKILL: the process ends at once, in the middle of whatever it was doing. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for it to end. */
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

/** Starts an instance and waits until it listens. */
export async function spawnVendor(config: VendorProcessConfig): Promise<VendorProcess> {
  const child = spawn(process.execPath, ['--conditions=@micromint/source', '--import', 'tsx', SELF], {
    env: { ...process.env, MM_VENDOR: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await once(child, 'exit');
  };
  try {
    await waitForPort(config.port, child, `vendor instance ${config.instance}`);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${stderr}`, { cause: e });
  }
  return {
    instance: config.instance,
    port: config.port,
    child,
    stderr: () => stderr,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

/** The instance itself. */
async function serve(c: VendorProcessConfig): Promise<void> {
  const store = new PostgresVendorStore({ connectionString: c.postgres, schema: c.schema });
  await store.ready();
  const mm = micromint({
    vendorId: c.vendorId,
    broker: c.broker,
    apiKey: c.apiKey,
    schemes: c.schemes ?? ['micromint', 'payword'],
    store,
    prices: { '/paid/*': c.price ?? 2 },
    accessWindowSeconds: 0,
    secret: 'one-secret-for-every-instance-of-the-site',
  });
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('x-instance', c.instance);
    next();
  });
  app.use(mm);
  app.get('/paid/:name', (req, res) => {
    res.json({ instance: c.instance, name: req.params.name, paid: res.locals.micromint });
  });
  app.get('/free', (_req, res) => {
    res.json({ instance: c.instance });
  });
  const server = app.listen(c.port, '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void mm.close().then(() => store.close());
  });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  serve(JSON.parse(process.env.MM_VENDOR ?? '{}') as VendorProcessConfig).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
