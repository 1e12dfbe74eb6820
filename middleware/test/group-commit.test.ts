/**
 * The group commit on real SQLite files in WAL mode: calls of one event-loop turn share one
 * transaction (counted both by the committer and in the WAL file itself, by its commit frames),
 * each call is answered only once its rows are in the file (a second connection sees them), one
 * call that throws fails alone, and a COMMIT or an fsync that fails fails every call of its group
 * and records nothing of it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit } from '../src/group-commit.ts';
import { tempDir } from './harness.ts';

const tmp = tempDir();
after(() => tmp.cleanup());

let files = 0;

/** A WAL database as the store opens one (synchronous = NORMAL: the group commit syncs), with a table `t`. */
function open(): { db: Database.Database; file: string; reader: Database.Database; commits: GroupCommit } {
  const file = join(tmp.dir, `g${++files}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 0'); // the WAL keeps every frame, so that its commit frames can be counted
  db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`);
  const reader = new Database(file, { readonly: true });
  return { db, file, reader, commits: new GroupCommit(db, { wal: `${file}-wal` }) };
}

/** Commit frames in a WAL file (the frame header's "database size after commit" is not zero). */
function walCommits(file: string): number {
  const wal = readFileSync(`${file}-wal`);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) if (wal.readUInt32BE(at + 4) !== 0) commits++;
  return commits;
}

const rows = (reader: Database.Database): string[] => reader.prepare(`SELECT v FROM t ORDER BY id`).pluck().all() as string[];

describe('GroupCommit', () => {
  it('calls of one turn share one transaction, and each is answered only once its row is in the file', async () => {
    const { db, file, reader, commits } = open();
    const insert = db.prepare(`INSERT INTO t (v) VALUES (?)`);
    const before = walCommits(file);
    const seenAtAnswer: string[][] = [];
    const syncsAtAnswer: number[] = [];
    const calls = Array.from({ length: 10 }, (_, i) =>
      commits
        .run(() => Number(insert.run(`v${i}`).lastInsertRowid))
        .then((id) => {
          seenAtAnswer.push(rows(reader)); // another connection, reading the file when this call is answered
          syncsAtAnswer.push(commits.syncs);
          return id;
        }),
    );
    assert.deepEqual(rows(reader), [], 'nothing is committed before the event loop turn ends');
    const ids = await Promise.all(calls);
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each call gets its own result, in order');
    assert.equal(commits.commits, 1);
    assert.equal(walCommits(file) - before, 1, 'one commit in the WAL for the ten calls');
    assert.ok(commits.syncs >= 1);
    for (const seen of seenAtAnswer) assert.equal(seen.length, 10, 'when a call is answered, its transaction is in the file');
    assert.ok(
      syncsAtAnswer.every((n) => n >= 1),
      'and the WAL was synced to disk after it',
    );
    db.close();
    reader.close();
  });

  it('calls of later turns go in later transactions; a call that only reads, with everything on disk, needs no fsync', async () => {
    const { db, file, reader, commits } = open();
    const insert = db.prepare(`INSERT INTO t (v) VALUES (?)`);
    const count = db.prepare(`SELECT COUNT(*) FROM t`).pluck();
    const before = walCommits(file);
    await commits.run(() => insert.run('a'));
    await commits.run(() => insert.run('b'));
    assert.equal(commits.commits, 2);
    assert.equal(walCommits(file) - before, 2);
    assert.deepEqual(rows(reader), ['a', 'b']);
    const syncs = commits.syncs;
    assert.equal(await commits.run(() => count.get()), 2);
    assert.equal(commits.syncs, syncs, 'a read after everything was synced is answered without one');
    db.close();
    reader.close();
  });

  it('a call that throws is rolled back alone and fails alone', async () => {
    const { db, reader, commits } = open();
    const insert = db.prepare(`INSERT INTO t (v) VALUES (?)`);
    const results = await Promise.allSettled([
      commits.run(() => insert.run('kept 1')),
      commits.run(() => {
        insert.run('undone');
        throw new RangeError('bad argument');
      }),
      commits.run(() => insert.run(null as unknown as string)), // NOT NULL constraint
      commits.run(() => insert.run('kept 2')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.match(String((results[1] as PromiseRejectedResult).reason), /bad argument/);
    assert.match(String((results[2] as PromiseRejectedResult).reason), /NOT NULL/);
    assert.equal(commits.commits, 1);
    assert.deepEqual(rows(reader), ['kept 1', 'kept 2']);
    // Alone in its transaction, the same: nothing of it stays.
    await assert.rejects(
      commits.run(() => {
        insert.run('undone too');
        throw new RangeError('bad argument');
      }),
      /bad argument/,
    );
    assert.deepEqual(rows(reader), ['kept 1', 'kept 2']);
    assert.equal(db.inTransaction, false);
    db.close();
    reader.close();
  });

  it('a COMMIT that fails fails every call of its group, records nothing of it, and the next group commits', async () => {
    const { db, reader, commits } = open();
    // A deferred foreign key is checked at COMMIT: a real commit failure, from SQLite itself.
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);`);
    const insert = db.prepare(`INSERT INTO t (v) VALUES (?)`);
    const orphan = db.prepare(`INSERT INTO child (p) VALUES (42)`);
    const results = await Promise.allSettled([
      commits.run(() => insert.run('one')),
      commits.run(() => orphan.run()),
      commits.run(() => insert.run('two')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
    );
    for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /FOREIGN KEY/);
    assert.deepEqual(rows(reader), [], 'nothing of the group is in the file');
    assert.equal(db.inTransaction, false);
    await commits.run(() => insert.run('three'));
    assert.deepEqual(rows(reader), ['three']);
    db.close();
    reader.close();
  });

  it('an fsync that cannot be done fails its calls and every call after it', async () => {
    const file = join(tmp.dir, `g${++files}.db`);
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`);
    // The WAL is not where the committer looks: its fsync fails (ENOENT), as a failing disk's would.
    const commits = new GroupCommit(db, { wal: join(tmp.dir, 'missing', 'x.db-wal') });
    const insert = db.prepare(`INSERT INTO t (v) VALUES (?)`);
    const first = await Promise.allSettled([commits.run(() => insert.run('a')), commits.run(() => insert.run('b'))]);
    for (const r of first) {
      assert.equal(r.status, 'rejected');
      assert.match(String((r as PromiseRejectedResult).reason), /could not be synced/);
    }
    await assert.rejects(
      commits.run(() => insert.run('c')),
      /could not be synced/,
    );
    assert.equal(db.prepare(`SELECT COUNT(*) FROM t WHERE v = 'c'`).pluck().get(), 0, 'nothing more is written');
    db.close();
  });

  it('drain() runs what waits before the connection closes', async () => {
    const { db, reader, commits } = open();
    const insert = db.prepare(`INSERT INTO t (v) VALUES (?)`);
    const call = commits.run(() => insert.run('late'));
    commits.drain();
    await commits.settled();
    await call;
    commits.close();
    db.close();
    assert.deepEqual(rows(reader), ['late']);
    reader.close();
  });
});
