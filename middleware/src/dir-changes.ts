/**
 * Which directories changed: a number per directory that `fs.watch` moves on whenever something
 * in it is written, created, renamed or removed. A cache of what was read from a directory keeps
 * the number it saw and trusts its copy while the number is the same, so that the disk is not
 * touched on every request yet an edited file is seen at once. Watching is best effort (the
 * number of directories is bounded, some file systems report nothing), so a cache also re-reads
 * after a while whatever the number says.
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';

/** Most directories watched at once by one {@link DirectoryChanges}; more are not watched (the cache's interval applies). */
export const MAX_WATCHED_DIRS = 256;

interface Watched {
  watcher: FSWatcher;
  generation: number;
}

/**
 * Change numbers of directories, by `fs.watch` (which keeps no process alive).
 * @example
 * const changes = new DirectoryChanges();
 * const seen = changes.generation('public/articles'); // watching from now on
 * // ... later: still the same number means nothing in public/articles changed since
 * if (changes.generation('public/articles') !== seen) reread();
 * changes.close();
 */
export class DirectoryChanges {
  private readonly dirs = new Map<string, Watched>();
  /** Moves on whenever a watch ends, so that numbers handed out before never match again. */
  private epoch = 0;
  private closed = false;

  constructor(private readonly maxWatched = MAX_WATCHED_DIRS) {}

  /**
   * The change number of `dir` now, watching it from now on; undefined when it cannot be watched
   * (it does not exist, too many are watched, the system refuses). Take it BEFORE reading what
   * is in `dir`: a change while reading then moves the number on.
   */
  generation(dir: string): number | undefined {
    const known = this.dirs.get(dir);
    if (known) return known.generation;
    if (this.closed || this.dirs.size >= this.maxWatched) return undefined;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false });
    } catch {
      return undefined; // ENOENT, ENOTDIR, ENOSPC (inotify watches used up), ...
    }
    const entry: Watched = { watcher, generation: ++this.epoch };
    const stop = (): void => {
      if (this.dirs.get(dir) !== entry) return;
      this.dirs.delete(dir);
      watcher.close();
    };
    watcher.on('change', () => {
      entry.generation = ++this.epoch;
    });
    watcher.on('error', stop);
    watcher.on('close', stop);
    this.dirs.set(dir, entry);
    return entry.generation;
  }

  /** Whether `seen` (from {@link generation}) is still the change number of `dir`: nothing changed there since. */
  unchanged(dir: string, seen: number | undefined): boolean {
    return seen !== undefined && this.dirs.get(dir)?.generation === seen;
  }

  /** Stops every watch. */
  close(): void {
    this.closed = true;
    for (const { watcher } of this.dirs.values()) watcher.close();
    this.dirs.clear();
  }
}
