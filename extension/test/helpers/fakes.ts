/** Test doubles for the browser side of the background services. */
import { encodeHeader, X402_VERSION, type PaymentRequirements } from '@micromint/shared';
import type { Retrier } from '../../src/background/retrier.ts';

/** A retrier that records what it was asked to do. */
export function fakeRetrier(o: { failNavigate?: boolean } = {}) {
  const calls: string[] = [];
  const rules = new Map<number, { tabId: number; url: string; header: string }>();
  let next = 1;
  const retrier: Retrier = {
    async install(tabId, url, header, target = 'main_frame') {
      const id = next++;
      rules.set(id, { tabId, url, header });
      // A frame's rule is named as such; a page's keeps the plain form.
      calls.push(`install ${tabId} ${url}${target === 'sub_frame' ? ' sub_frame' : ''}`);
      return id;
    },
    async navigate(tabId, url) {
      calls.push(`navigate ${tabId} ${url}`);
      if (o.failNavigate) throw new Error('No tab with id');
    },
    async release(ruleId) {
      rules.delete(ruleId);
      calls.push(`release ${ruleId}`);
    },
    async releaseTab(tabId) {
      for (const [id, r] of rules) if (r.tabId === tabId) rules.delete(id);
      calls.push(`releaseTab ${tabId}`);
    },
  };
  return { retrier, calls, rules };
}

/** A PAYMENT-REQUIRED value for `url` offering `accepts`. */
export const challengeHeader = (
  url: string,
  accepts: PaymentRequirements[],
  extra: { error?: string; extensions?: Record<string, unknown> } = {},
) => encodeHeader({ x402Version: X402_VERSION, ...extra, resource: { url }, accepts });
