/**
 * One autocannon run, timed to its last response. autocannon's own figures end at its next
 * whole-second tick: a run of a fixed number of requests (one payment each) that takes 3.2 s is
 * counted over 4 s, and rows of 8,000 payments read exactly 2,000/s. Requests per second here are
 * the requests over the time from the start to the last response.
 */
import autocannon from 'autocannon';

/** The bench's load: 10 connections on loopback. */
export const CONNECTIONS = 10;

/** A timed run: autocannon's result and the requests per second to its last response. */
export interface TimedRun {
  result: autocannon.Result;
  requestsPerSecond: number;
}

/**
 * Runs autocannon with `opts` (10 connections unless given).
 * @example
 * const { requestsPerSecond } = await timedRun({ url, amount: headers.length, requests });
 */
export async function timedRun(opts: autocannon.Options): Promise<TimedRun> {
  const started = performance.now();
  let last = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const running = autocannon({ connections: CONNECTIONS, ...opts }, (e, r) => (e ? reject(e as Error) : resolve(r)));
    running.on('response', () => (last = performance.now()));
  });
  const seconds = (last - started) / 1000;
  return { result, requestsPerSecond: seconds > 0 ? Math.round(result.requests.total / seconds) : 0 };
}
