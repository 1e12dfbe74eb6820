/**
 * Runs tasks with the same key one after another (tasks with different keys run freely).
 * The payment flow keys by tab: a 402 response, the page's report and the user's answer for one
 * tab are handled in the order they happened.
 * @module
 */
export class KeyedQueue<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  /**
   * Runs `task` after every earlier task of `key` has settled.
   * @example
   * await queue.run(tabId, () => flow.pageLoaded(tabId, url));
   */
  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
