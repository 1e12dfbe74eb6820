/**
 * The worker reading a URL's payment terms itself, for a 402 page whose own response it missed
 * (it was not running yet when the browser started). The worker's own request, answered by the
 * vendor, is as good a source of terms as the page's: it never comes from the page.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import type { ChallengeProbe } from './payment-flow.ts';

/** The fetch the probe needs (the global `fetch`, or a test double). */
export type ProbeFetch = (
  url: string,
  init: RequestInit,
) => Promise<Pick<Response, 'status' | 'headers'> & { body?: { cancel(): Promise<void> } | null }>;

/**
 * A {@link ChallengeProbe} over fetch: a GET without a payment, not cached, not following
 * redirects; the PAYMENT-REQUIRED of a 402 answer, else undefined. The body is not read.
 * `as` changes the method and credentials (the price hints ask with a HEAD and no cookies).
 * @example
 * const probe = fetchProbe();
 * const header = await probe('http://127.0.0.1:4001/articles/a.html');
 */
export function fetchProbe(
  fetchFn: ProbeFetch = (url, init) => fetch(url, init),
  timeoutMs = 15_000,
  as: { method: 'GET' | 'HEAD'; credentials: RequestCredentials } = { method: 'GET', credentials: 'include' },
): ChallengeProbe {
  return async (url) => {
    const res = await fetchFn(url, {
      ...as,
      cache: 'no-store',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    void res.body?.cancel().catch(() => undefined);
    return res.status === 402 ? (res.headers.get(PAYMENT_REQUIRED_HEADER) ?? undefined) : undefined;
  };
}
