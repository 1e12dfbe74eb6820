/**
 * Payments served again, remembered by their exact request: the method, the URL and the payment
 * header, byte for byte. A wallet that retries (a lost answer, a reload) sends the very same
 * header; once the store has answered it as a replay (the payment recorded and on disk, marked as
 * served again so that it is never taken back), the same request needs neither decoding, nor the
 * coins' hashes, nor the store: the payment it names is known. The replay window is still checked
 * on every hit (by the caller), and only payments that were really recorded get in, so anonymous
 * input cannot fill it; it holds at most {@link MAX_REPLAYS} of them, the least recently used
 * leaving first.
 * @module
 */
import type { Paid } from './schemes/index.ts';

/** Most payments remembered (each about its header's size, at most 16 KiB). */
export const MAX_REPLAYS = 1000;

/** Replayed payments by request. */
export class ReplayCache {
  private readonly paid = new Map<string, Paid>();

  constructor(private readonly max = MAX_REPLAYS) {}

  private static key(method: string, url: string, header: string): string {
    return `${method} ${url}\n${header}`;
  }

  /** The payment a request repeats, if it was served as a replay before. */
  get(method: string, url: string, header: string): Paid | undefined {
    const key = ReplayCache.key(method, url, header);
    const hit = this.paid.get(key);
    if (hit) {
      this.paid.delete(key); // most recently used last
      this.paid.set(key, hit);
    }
    return hit;
  }

  /** Remembers a payment the store answered as a replay of this request. */
  set(method: string, url: string, header: string, paid: Paid): void {
    const key = ReplayCache.key(method, url, header);
    this.paid.delete(key);
    this.paid.set(key, paid);
    if (this.paid.size > this.max) this.paid.delete(this.paid.keys().next().value!);
  }

  /** Forgets a request (its payment is out of the replay window). */
  delete(method: string, url: string, header: string): void {
    this.paid.delete(ReplayCache.key(method, url, header));
  }
}
