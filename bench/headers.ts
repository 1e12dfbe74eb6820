/**
 * The payment headers the bench sends: 1-coin payments that never repeat a coin, and the links of
 * one PayWord chain. Each is a real payment a wallet would send, made before the timed run.
 */
import { coinId, encodeHeader, micromintPayload, micromintRequirements, type EpochParams } from '@micromint/shared';
import type { Slots } from '@micromint/shared/testing';
import type { TestBroker } from '../middleware/test/broker.ts';
import { ChainWallet, offerOf } from '../middleware/test/chains.ts';
import { coinsFor } from './verify.ts';

/**
 * `n` 1-coin payment headers for `site.url`, for as many users as it takes (no coin twice: users'
 * sets share slots, so a coin whose first ball was used already is left out).
 * @example
 * const headers = coinHeaders(epoch, slots, { vendorId, broker, url: `${vendorId}/paid/page.html` }, 1000);
 */
export function coinHeaders(
  epoch: EpochParams,
  slots: Slots,
  site: { vendorId: string; broker: string; url: string },
  n: number,
): string[] {
  const { vendorId, broker, url } = site;
  const accepted = micromintRequirements({ price: 1, vendorId, broker, epoch: epoch.id });
  const headers: string[] = [];
  const ids = new Set<string>();
  for (let u = 0; headers.length < n && u < 64; u++) {
    const userId = `u_${u.toString(16).padStart(16, '0')}`;
    for (const coin of coinsFor(epoch, slots, userId, vendorId, 2 ** epoch.u / epoch.k)) {
      const id = coinId(coin);
      if (ids.has(id)) continue;
      ids.add(id);
      headers.push(encodeHeader({ x402Version: 2, resource: { url }, accepted, payload: micromintPayload(epoch.id, userId, [coin]) }));
    }
  }
  return headers.slice(0, n);
}

/**
 * Opens a chain at `broker` for `paidUrl`'s vendor, pays its first link (which sends the
 * commitment), and returns the headers of the next `links` links, one link each.
 * @example
 * const headers = await linkHeaders(broker, `${vendorId}/paid/page.html`, 5000);
 */
export async function linkHeaders(broker: TestBroker, paidUrl: string, links: number): Promise<string[]> {
  const chain = await new ChainWallet(broker, 'u_00000000000bench').open(await offerOf(paidUrl), { length: links + 1 });
  const first = await fetch(paidUrl, { headers: { 'payment-signature': chain.pay(paidUrl).header } });
  await first.body?.cancel();
  if (first.status !== 200) throw new Error(`bench link refused: ${first.status}`);
  return Array.from({ length: links }, () => chain.pay(paidUrl).header);
}
