/**
 * Tabs whose first navigation Chromium never starts. With an unpacked extension loaded at start-up
 * (`--load-extension`, as `scripts/demo.sh` does), Chromium 156 sometimes defers the start-up tab's
 * navigation and never resumes it: the request is never sent, the tab stays blank for good. Measured
 * on these machines: 1 to 8 launches in 32, with any extension (even one with an empty worker), none
 * without an extension. The stalled tab is plain to see through `tabs`: nothing committed (`url`
 * empty), a `pendingUrl`, and `status: 'complete'` (a navigation under way is `loading`). Starting
 * that navigation again with `tabs.update` makes it go, every time.
 *
 * A navigation about to start looks the same for a moment, and restarting it would only abort it;
 * a stalled one stays so. The worker therefore looks a few times while it starts, and starts a
 * navigation again only when it saw the same tab stalled on the same URL at two looks in a row, at
 * least a second apart; once per tab and URL. Nothing else is touched: a tab that shows a page, or
 * is loading one, is left alone.
 * @module
 */

/** The slice of `chrome.tabs.Tab` looked at. */
export interface TabLike {
  id?: number;
  url?: string;
  pendingUrl?: string;
  status?: string;
}

/** The slice of `chrome.tabs` needed. */
export interface TabsLike {
  query(q: Record<string, never>): Promise<TabLike[]>;
  update(tabId: number, props: { url: string }): Promise<unknown>;
}

/** When, after the worker starts, it looks (ms); keep them at least a second apart. */
export const STARTUP_CHECKS_MS: readonly number[] = [1000, 2000, 3000, 5000, 8000];

/** The tabs whose navigation is stalled: an http(s) URL pending, nothing committed, not loading. */
export function stalledTabs(tabs: readonly TabLike[]): { tabId: number; url: string }[] {
  return tabs.flatMap((t) =>
    t.id !== undefined &&
    t.status === 'complete' &&
    (!t.url || t.url === 'about:blank') &&
    t.pendingUrl &&
    /^https?:\/\//i.test(t.pendingUrl)
      ? [{ tabId: t.id, url: t.pendingUrl }]
      : [],
  );
}

/**
 * Looks for stalled tabs at each of `checks` and starts again the navigation of each tab seen
 * stalled, on the same URL, at two looks in a row; once per tab and URL. Resolves with how many it
 * started again, once the last look is done.
 * @example
 * void resumeStalledTabs(chrome.tabs, log);
 */
export async function resumeStalledTabs(
  tabs: TabsLike,
  log: (message: string) => void = () => undefined,
  checks: readonly number[] = STARTUP_CHECKS_MS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<number> {
  const done = new Set<string>();
  let before = new Set<string>();
  let waited = 0;
  for (const at of checks) {
    await sleep(at - waited);
    waited = at;
    let found: { tabId: number; url: string }[];
    try {
      found = stalledTabs(await tabs.query({}));
    } catch {
      found = [];
    }
    const now = new Set(found.map(({ tabId, url }) => `${tabId} ${url}`));
    const still = found.filter(({ tabId, url }) => before.has(`${tabId} ${url}`));
    before = now;
    for (const { tabId, url } of still) {
      const key = `${tabId} ${url}`;
      if (done.has(key)) continue;
      done.add(key);
      log(`tab ${tabId}: Chromium never started loading ${url}; starting it again`);
      await tabs.update(tabId, { url }).catch(() => undefined);
    }
  }
  return done.size;
}
