/**
 * WAL checkpoints off the request path. SQLite's auto-checkpoint runs inside the commit that crosses its
 * threshold (1,000 pages by default), so a large redemption batch used to copy megabytes into the database
 * file and fsync it on the event loop, in the request. Instead a worker thread with its own connection runs
 * a PASSIVE checkpoint every {@link CHECKPOINT_EVERY_MS} (PASSIVE never blocks a writer or waits on one),
 * and the connection's own auto-checkpoint is kept as a backstop at {@link BACKSTOP_PAGES}, for when the
 * worker cannot keep up or is gone.
 *
 * Durability does not depend on checkpoints: with `synchronous = FULL` in WAL mode every commit fsyncs the
 * WAL before it returns, so a committed transaction survives a crash or power loss whether or not it was
 * checkpointed (a checkpoint only moves pages from the WAL into the database file, crash-safely).
 * @module
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How often the worker checkpoints. */
export const CHECKPOINT_EVERY_MS = 250;
/** The connection's own auto-checkpoint threshold, in pages (4 KiB each): a backstop. */
export const BACKSTOP_PAGES = 10_000;

// The worker is plain JavaScript (it runs under Node alone, from sources or from dist/).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next tick tries again */ }
}, workerData.everyMs);
parentPort.once('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/** A running checkpointer. */
export interface Checkpointer {
  /** Stops the worker (it closes its connection); the process never waits for it. */
  stop(): void;
}

/**
 * Checkpoints the WAL of the file database `db` from a worker thread, and raises the connection's
 * auto-checkpoint threshold to the backstop. Nothing for an in-memory database.
 * @example
 * const checkpoints = startCheckpointer(db);
 * // ... later, before db.close():
 * checkpoints.stop();
 */
export function startCheckpointer(db: Database.Database): Checkpointer {
  if (db.memory) return { stop: () => {} };
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, path: db.name, everyMs: CHECKPOINT_EVERY_MS } });
  worker.unref();
  // A worker that failed leaves the backstop; the broker keeps working.
  worker.on('error', (e) => console.warn(`[broker] the WAL checkpointer stopped: ${e.message}`));
  return { stop: () => worker.postMessage('stop') };
}
