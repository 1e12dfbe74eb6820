/**
 * Group commit for one SQLite connection in WAL mode: the writes asked for while the event loop
 * is busy share ONE transaction, and each caller's promise settles only once that transaction is
 * on disk.
 *
 * Every call's work runs in its own savepoint inside the shared transaction, so one call that
 * throws (a constraint, a bad argument) is rolled back alone and fails alone. A COMMIT that fails
 * (disk full, I/O error, a deferred constraint) rolls the whole transaction back and fails every
 * call of the group: nothing of it was recorded, and the middleware serves none of them.
 *
 * Calls are gathered until the event loop has handled what is pending (`setImmediate`), which is
 * when concurrent requests have all reached their store call. The work functions run
 * synchronously on the connection (better-sqlite3), in the order they were asked for, each seeing
 * the writes of those before it.
 *
 * Durability. With `wal` given, the connection runs with `synchronous = NORMAL` (COMMIT writes the
 * WAL but does not wait for the disk) and the fsync is done here, off the event loop
 * (`fdatasync` of the WAL file in libuv's thread pool): a group's callers are answered when an
 * fsync begun after its COMMIT has finished, so what they were told is recorded is on disk, as
 * with `synchronous = FULL`. While an fsync runs, the next groups are committed, and a second
 * fsync may begin for them. A call that only read is answered at once when everything committed before it is on
 * disk already, else with the next fsync (it may have read what is not on disk yet). An fsync that
 * fails fails its callers and every call after it: the file's state on disk is unknown, so the
 * store takes nothing more until it is opened again. Without `wal` (`synchronous = FULL` on the
 * connection), COMMIT itself is durable and callers are answered right after it.
 * @module
 */
import { close as closeFd, fdatasync, fsync, open } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';

interface Waiting {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A committed group waiting for its fsync. */
interface Unsynced {
  /** The write number that must be on disk before its callers are answered. */
  needs: number;
  settle: (error?: unknown) => void;
}

/** Most calls in one transaction; more wait for the next (bounds the time the event loop is held). */
export const MAX_GROUP = 512;
/**
 * Most fsyncs in flight at once: a group committed while one runs need not wait for it to end
 * before its own begins (each takes a thread of libuv's pool of 4, which the file system calls of
 * the site share).
 */
export const MAX_SYNCS = 2;

/**
 * Shares durable transactions between concurrent writes on one connection.
 * @example
 * const commits = new GroupCommit(db, { wal: `${path}-wal` }); // db in WAL mode, synchronous = NORMAL
 * const [a, b] = await Promise.all([commits.run(() => insert.run(1)), commits.run(() => insert.run(2))]); // one COMMIT, one fsync
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private scheduled = false;
  private readonly sql;
  /** Groups that wrote, committed so far; and how many of them are known to be on disk. */
  private written = 0;
  private synced = 0;
  /** Committed groups not yet on disk, oldest first. */
  private unsynced: Unsynced[] = [];
  /** fsyncs in flight, and the newest write the newest of them covers. */
  private syncing = 0;
  private covering = 0;
  private walFd: number | undefined;
  /** Callers waiting while the WAL is being opened. */
  private opening: ((error: Error | null, fd?: number) => void)[] | undefined;
  /** Set when an fsync failed: every call fails from then on. */
  private broken: Error | undefined;
  /** Transactions committed so far (for tests and statistics). */
  commits = 0;
  /** fsyncs of the WAL done so far. */
  syncs = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly o: { wal?: string } = {},
  ) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT group_call'),
      release: db.prepare('RELEASE group_call'),
      undo: db.prepare('ROLLBACK TO group_call'),
      changes: db.prepare('SELECT total_changes()').pluck(),
    };
  }

  /**
   * Runs `work` inside the next shared transaction; resolves with its result once that
   * transaction is durable, rejects with its error (only it is rolled back) or with the error of
   * the commit or of the fsync (the whole group failed).
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.broken) {
        reject(this.broken);
        return;
      }
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Calls waiting for the next transaction. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs what is waiting now, without waiting for the event loop (before the connection closes). */
  drain(): void {
    while (this.queue.length) this.flush();
  }

  /** Resolves once every committed group has been answered (its fsync done or failed). */
  async settled(): Promise<void> {
    while (this.unsynced.length) await new Promise((r) => setImmediate(r));
  }

  /** Closes the WAL file descriptor (after {@link settled}). */
  close(): void {
    if (this.walFd !== undefined) closeFd(this.walFd, () => {});
    this.walFd = undefined;
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.queue.splice(0, MAX_GROUP);
    if (this.queue.length) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    let outcomes: Outcome[];
    let wrote: boolean;
    try {
      if (this.broken) throw this.broken;
      ({ outcomes, wrote } = this.transact(group));
    } catch (error) {
      for (const w of group) w.reject(error);
      return;
    }
    const answer = (error?: unknown): void => {
      group.forEach((w, i) => {
        const o = outcomes[i]!;
        if (error !== undefined) w.reject(error);
        else if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    };
    if (wrote) this.written++;
    if (this.o.wal === undefined || this.written <= this.synced) answer();
    else {
      this.unsynced.push({ needs: this.written, settle: answer });
      this.sync();
    }
  }

  /** One transaction for `group`; throws (after rolling back) when it cannot be begun or committed. */
  private transact(group: Waiting[]): { outcomes: Outcome[]; wrote: boolean } {
    const { begin, commit, savepoint, release, undo, changes } = this.sql;
    if (!this.db.open) throw new TypeError('The database connection is not open');
    const before = changes.get() as number;
    begin.run();
    try {
      // A group of one needs no savepoint: its failure rolls the transaction back, which holds nothing else.
      if (group.length === 1) {
        const value = group[0]!.work();
        const wrote = (changes.get() as number) !== before;
        commit.run();
        this.commits++;
        return { outcomes: [{ ok: true, value }], wrote };
      }
      const outcomes = group.map((w): Outcome => {
        savepoint.run();
        try {
          const value = w.work();
          release.run();
          return { ok: true, value };
        } catch (error) {
          undo.run();
          release.run();
          return { ok: false, error };
        }
      });
      const wrote = (changes.get() as number) !== before;
      commit.run();
      this.commits++;
      return { outcomes, wrote };
    } catch (error) {
      if (this.db.inTransaction) this.sql.rollback.run();
      throw error;
    }
  }

  /**
   * Starts an fsync of the WAL when a committed group is not covered by one in flight (at most
   * {@link MAX_SYNCS} at once); when one ends, answers the groups it covers.
   */
  private sync(): void {
    const newest = this.unsynced.at(-1);
    if (!newest || this.syncing >= MAX_SYNCS || newest.needs <= this.covering) return;
    this.syncing++;
    const covers = (this.covering = this.written);
    this.walDescriptor((error, fd) => {
      if (error) return this.syncDone(covers, error);
      fdatasync(fd!, (e) => this.syncDone(covers, e ?? undefined));
    });
  }

  private syncDone(covers: number, error: Error | undefined): void {
    this.syncing--;
    this.syncs++;
    if (error || this.broken) {
      this.broken ??= new Error(`the store's file could not be synced to disk (${error!.message}); it takes nothing until reopened`, {
        cause: error,
      });
      for (const u of this.unsynced.splice(0)) u.settle(this.broken);
      return;
    }
    // An fsync begun after a COMMIT puts it on disk, whatever other fsyncs do meanwhile.
    this.synced = Math.max(this.synced, covers);
    while (this.unsynced.length && this.unsynced[0]!.needs <= this.synced) this.unsynced.shift()!.settle();
    this.sync();
  }

  /** The WAL's descriptor, opened once; the first time its directory is synced too (a new WAL file's name must survive). */
  private walDescriptor(cb: (error: Error | null, fd?: number) => void): void {
    if (this.walFd !== undefined) return cb(null, this.walFd);
    if (this.opening) return void this.opening.push(cb);
    this.opening = [cb];
    this.openWal((error, fd) => {
      const waiting = this.opening!;
      this.opening = undefined;
      for (const w of waiting) w(error, fd);
    });
  }

  private openWal(cb: (error: Error | null, fd?: number) => void): void {
    const wal = this.o.wal!;
    // Read-write (never written here): Windows flushes only a file opened for writing.
    open(wal, 'r+', (error, fd) => {
      if (error) return cb(error);
      const keep = (): void => {
        this.walFd = fd;
        cb(null, fd);
      };
      if (process.platform === 'win32') return keep(); // a directory cannot be opened there, nor needs syncing
      open(dirname(wal), 'r', (e, dirFd) => {
        if (e) {
          closeFd(fd, () => {});
          return cb(e);
        }
        fsync(dirFd, (syncError) => {
          closeFd(dirFd, () => {});
          if (!syncError) return keep();
          closeFd(fd, () => {});
          cb(syncError);
        });
      });
    });
  }
}
