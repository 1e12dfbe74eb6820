/**
 * Runs async jobs one at a time per key (jobs of other keys run alongside): two payments that need
 * a chain for one vendor at once open one chain.
 * @module
 */

/** A queue per key. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /**
   * Runs `job` after every job queued before it under `key`; resolves or rejects as `job` does.
   * @example
   * await queue.run('http://shop.example', () => openChain());
   */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(job, job);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
