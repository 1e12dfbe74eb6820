/**
 * The head start: what the worker did about a tab's 402 as soon as it saw the response's headers,
 * before the 402's page could report. A payment made then waits only for the 402's document to be
 * committed before the tab is loaded again (loading it earlier would cancel the 402's navigation
 * under the page's feet); the verdict waits for the page's report, to be shown there.
 *
 * A commit is that of the 402 when it is of the same URL, in the same tab, and no older than the
 * 402's headers (webRequest's and webNavigation's `timeStamp` share one clock). The page's own
 * report proves the same, later. The entry of a tab lasts until its next main-frame response.
 * @module
 */
import type { PageVerdict } from '../messages.ts';
import { stripFragment } from './challenges.ts';

/** What the worker did about a 402 of a tab on its headers. */
export interface HeadStart {
  /** The 402's URL (no fragment). */
  url: string;
  /** When its headers were seen (webRequest `timeStamp`). */
  respondedAt: number;
  /** What the 402's page is told when it reports. */
  verdict: PageVerdict;
  /** The paid reload of the tab, until it is started. */
  reload?: () => Promise<void>;
}

/** Head starts and main-frame commits, per tab, for the running worker. */
export class HeadStarts {
  private readonly entries = new Map<number, HeadStart>();
  private readonly commits = new Map<number, { url: string; at: number }>();

  /** Keeps what was done for the tab's 402; with `reload`, starts it at once if the 402 is committed already. */
  keep(tabId: number, entry: HeadStart): Promise<void> {
    this.entries.set(tabId, entry);
    return this.startIfCommitted(tabId);
  }

  /** A main-frame document of the tab committed (webNavigation `onCommitted`): the reload waiting for it starts. */
  committed(tabId: number, url: string, at: number): Promise<void> {
    this.commits.set(tabId, { url: stripFragment(url), at });
    return this.startIfCommitted(tabId);
  }

  /** Takes the tab's entry for the page `url` that reports; its reload, if still waiting, is started (the page is there). */
  async take(tabId: number, url: string): Promise<HeadStart | undefined> {
    const entry = this.entries.get(tabId);
    if (entry?.url !== stripFragment(url)) return undefined;
    this.entries.delete(tabId);
    await this.start(entry);
    return entry;
  }

  /** The reload waiting for the tab's 402 is no longer wanted (its request failed before its page came). */
  cancelReload(tabId: number): void {
    const entry = this.entries.get(tabId);
    if (entry) delete entry.reload;
  }

  /** A new main-frame response in the tab: what was kept for its last 402 is no one's now. */
  drop(tabId: number): void {
    this.entries.delete(tabId);
  }

  /** The tab is gone. */
  clear(tabId: number): void {
    this.entries.delete(tabId);
    this.commits.delete(tabId);
  }

  private startIfCommitted(tabId: number): Promise<void> {
    const entry = this.entries.get(tabId);
    const commit = this.commits.get(tabId);
    if (!entry?.reload || commit?.url !== entry.url || commit.at < entry.respondedAt) return Promise.resolve();
    return this.start(entry);
  }

  private async start(entry: HeadStart): Promise<void> {
    const reload = entry.reload;
    delete entry.reload;
    await reload?.();
  }
}
