/**
 * WAL checkpoints off the request path (db/checkpointer.ts): a commit leaves its pages in the WAL, and the
 * worker thread moves them into the database file while the broker's own connection does nothing more;
 * the connection's auto-checkpoint is only a backstop, and commits stay durable (`synchronous = FULL`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { BACKSTOP_PAGES } from '../src/db/checkpointer.ts';
import { openStore } from '../src/index.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('a commit is checkpointed into the database file by the worker, not by the committing call', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-checkpoint-'));
  dirs.push(dir);
  const path = join(dir, 'broker.db');
  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2, 'FULL: each commit fsyncs the WAL');
    assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), BACKSTOP_PAGES);
    store.db.exec('CREATE TABLE filler (x BLOB)');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const before = statSync(path).size;
    // 256 pages: below any auto-checkpoint threshold (SQLite's default is 1,000), so neither this commit
    // nor the connection moves them into the file; only the worker can.
    await store.transaction(async () => {
      store.db.prepare('INSERT INTO filler VALUES (randomblob(1048576))').run();
    });
    let size = before;
    for (let i = 0; i < 500 && size < before + 1_000_000; i++) {
      await sleep(20);
      size = statSync(path).size;
    }
    assert.ok(size >= before + 1_000_000, 'the worker checkpointed the pages into the database file');
  } finally {
    await store.close();
  }
});
