/**
 * A rate on silent payments: requests a page makes (fetch, XHR) and paid pages in its frames are
 * paid without asking at most so many times a minute per key (the page's origin, the tab), so a
 * script cannot quietly drain the wallet one threshold at a time. Past it, the wallet asks.
 * @module
 */

/** Silent payments per key per minute. */
export class AutopayLimit<K> {
  private readonly times = new Map<K, number[]>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True while `key` has had fewer than {@link perMinute} silent payments in the last minute.
   * @example
   * const silent = limit.allows(pageOrigin); // then, once paid silently: limit.spent(pageOrigin)
   */
  allows(key: K): boolean {
    const now = this.now();
    const recent = (this.times.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length) this.times.set(key, recent);
    else this.times.delete(key);
    return recent.length < this.perMinute;
  }

  /** Counts a silent payment for `key`. */
  spent(key: K): void {
    this.times.set(key, [...(this.times.get(key) ?? []), this.now()]);
  }
}
