/**
 * Sending a request again with a payment header. What works for MV3 navigations: a
 * declarativeNetRequest session rule that sets the header for exactly that URL in exactly that
 * tab, then a navigation of the tab to the URL; the rule is removed once the response is in.
 * A paid page in an iframe gets a `sub_frame` rule instead, and its frame loads the URL again.
 * @module
 */

/** The kind of navigation a rule adds the header to: the tab's page, or a page inside an iframe of it. */
export type RetryTarget = 'main_frame' | 'sub_frame';
import { PAYMENT_SIGNATURE_HEADER } from '@micromint/shared';

/** The side effects of a retry, so the payment flow can be tested without a browser. */
export interface Retrier {
  /**
   * Installs the header for the next main-frame (or, with `target`, sub-frame) request of `url` in
   * the tab; returns a rule id.
   */
  install(tabId: number, url: string, header: string, target?: RetryTarget): Promise<number>;
  /** Navigates the tab to `url` (the request that carries the header). */
  navigate(tabId: number, url: string): Promise<void>;
  /** Removes a rule (idempotent). */
  release(ruleId: number): Promise<void>;
  /** Removes every rule this wallet installed for the tab. */
  releaseTab(tabId: number): Promise<void>;
}

/**
 * The DNR condition matching exactly `url`. `urlFilter` with `|` anchors at both ends matches the
 * whole URL literally unless it contains `*` or `^` (its wildcards); such URLs get an anchored,
 * escaped `regexFilter` instead.
 * @example
 * urlCondition('http://127.0.0.1:4001/a?b=1'); // { urlFilter: '|http://127.0.0.1:4001/a?b=1|' }
 */
export function urlCondition(url: string): { urlFilter: string } | { regexFilter: string } {
  if (!/[*^|]/.test(url)) return { urlFilter: `|${url}|` };
  return { regexFilter: `^${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$` };
}

/** The DNR rule that sets the payment header. */
export function paymentHeaderRule(
  id: number,
  tabId: number,
  url: string,
  header: string,
  target: RetryTarget = 'main_frame',
): chrome.declarativeNetRequest.Rule {
  return {
    id,
    priority: 1,
    action: {
      type: 'modifyHeaders' as chrome.declarativeNetRequest.RuleActionType,
      requestHeaders: [
        { header: PAYMENT_SIGNATURE_HEADER, operation: 'set' as chrome.declarativeNetRequest.HeaderOperation, value: header },
      ],
    },
    condition: { ...urlCondition(url), resourceTypes: [target as chrome.declarativeNetRequest.ResourceType], tabIds: [tabId] },
  };
}

/**
 * The Chromium retrier: DNR session rules plus `tabs.update`. Only this retrier changes the
 * session rules, one change at a time, so it keeps a copy of them (read once per worker) and a
 * payment's rule costs one call.
 */
export function chromeRetrier(): Retrier {
  const dnr = chrome.declarativeNetRequest;
  // Rule ids are allocated one at a time so two payments never pick the same id.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  let known: chrome.declarativeNetRequest.Rule[] | undefined;
  const rules = async () => (known ??= await dnr.getSessionRules());
  const update = async (removeRuleIds: number[], addRules: chrome.declarativeNetRequest.Rule[] = []) => {
    const before = await rules();
    try {
      await dnr.updateSessionRules({ removeRuleIds, addRules });
    } catch (e) {
      known = undefined; // read them again next time
      throw e;
    }
    known = [...before.filter((r) => !removeRuleIds.includes(r.id)), ...addRules];
  };
  const rulesOfTab = async (tabId: number) => (await rules()).filter((r) => r.condition.tabIds?.includes(tabId));
  return {
    install: (tabId, url, header, target = 'main_frame') =>
      serial(async () => {
        const all = await rules();
        const id = all.reduce((max, r) => Math.max(max, r.id), 0) + 1;
        // An older rule of this tab (for a frame: of this tab and URL) would race with the new one.
        const rule = paymentHeaderRule(id, tabId, url, header, target);
        const same = (c: chrome.declarativeNetRequest.RuleCondition) =>
          c.resourceTypes?.includes(target as chrome.declarativeNetRequest.ResourceType) &&
          (target === 'main_frame' || (c.urlFilter === rule.condition.urlFilter && c.regexFilter === rule.condition.regexFilter));
        const stale = all.filter((r) => r.condition.tabIds?.includes(tabId) && same(r.condition)).map((r) => r.id);
        await update(stale, [rule]);
        return id;
      }),
    navigate: async (tabId, url) => {
      await chrome.tabs.update(tabId, { url });
    },
    release: (ruleId) => serial(() => update([ruleId])),
    releaseTab: (tabId) => serial(async () => update((await rulesOfTab(tabId)).map((r) => r.id))),
  };
}
