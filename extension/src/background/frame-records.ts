/**
 * What the worker knows of each frame (an iframe of a tab, by its `frameId`): its latest response
 * (the URL, and the PAYMENT-REQUIRED while that challenge can be acted on) and the paid reload in
 * flight. The frames' counterpart of the tabs' ChallengeStore and RetryBook: in memory, mirrored to
 * `storage.session` (one key per frame) so that a restarted worker still finds them.
 * @module
 */
import { CHALLENGE_TTL_MS, stripFragment, type SeenChallenge } from './challenges.ts';
import type { KeyValueArea } from './storage-area.ts';

/** A frame's paid reload: the payment, its DNR rule, the URL it was sent to. */
export interface FrameRetry {
  url: string;
  paymentId: string;
  ruleId: number;
  startedAt: number;
}

/** What is kept of a frame. */
export interface FrameRecord {
  tabId: number;
  frameId: number;
  /** The frame's latest response, the challenge of a 402 while it may be acted on. */
  seen?: { url: string; header?: string; seenAt: number };
  retry?: FrameRetry;
}

/**
 * Every frame's record.
 * @example
 * const records = new FrameRecords(browser.storage.session);
 * await records.saw(tabId, frameId, url, challengeHeader);
 */
export class FrameRecords {
  private readonly memory = new Map<string, FrameRecord>();

  constructor(
    private readonly area: KeyValueArea,
    private readonly now: () => number = Date.now,
  ) {}

  private static key = (tabId: number, frameId: number) => `frame:${tabId}:${frameId}`;

  private async read(tabId: number, frameId: number): Promise<FrameRecord> {
    const key = FrameRecords.key(tabId, frameId);
    const hit = this.memory.get(key);
    if (hit) return hit;
    const stored = (await this.area.get(key))[key] as FrameRecord | undefined;
    const record = stored ?? { tabId, frameId };
    this.memory.set(key, record);
    return record;
  }

  private write(r: FrameRecord): Promise<void> {
    const key = FrameRecords.key(r.tabId, r.frameId);
    this.memory.set(key, r);
    return this.area.set({ [key]: r });
  }

  /** True when this worker holds a record of the frame (a 402 it saw there, or a paid reload). */
  knows(tabId: number, frameId: number): boolean {
    return this.memory.has(FrameRecords.key(tabId, frameId));
  }

  /** Notes the frame's response: its challenge when `header` is set, else only that it was seen. */
  async saw(tabId: number, frameId: number, url: string, header?: string): Promise<void> {
    const r = await this.read(tabId, frameId);
    await this.write({ ...r, seen: { url: stripFragment(url), ...(header ? { header } : {}), seenAt: this.now() } });
  }

  /** The frame's challenge if it is for `url` and fresh. */
  async challenge(tabId: number, frameId: number, url: string): Promise<SeenChallenge | undefined> {
    const seen = (await this.read(tabId, frameId)).seen;
    if (!seen?.header || seen.url !== stripFragment(url) || this.now() - seen.seenAt > CHALLENGE_TTL_MS) return undefined;
    return { tabId, url: seen.url, header: seen.header, seenAt: seen.seenAt };
  }

  /** True when the worker saw the frame's latest response and it was for `url`. */
  async observed(tabId: number, frameId: number, url: string): Promise<boolean> {
    return (await this.read(tabId, frameId)).seen?.url === stripFragment(url);
  }

  /** Consumes the frame's challenge (paid, refused); the response was still seen. */
  async forget(tabId: number, frameId: number): Promise<void> {
    const r = await this.read(tabId, frameId);
    if (r.seen?.header !== undefined) await this.write({ ...r, seen: { url: r.seen.url, seenAt: r.seen.seenAt } });
  }

  /** Records the frame's paid reload before it starts. */
  async expect(tabId: number, frameId: number, retry: FrameRetry): Promise<void> {
    await this.write({ ...(await this.read(tabId, frameId)), retry });
  }

  /** Takes the frame's paid reload out of the record. */
  async take(tabId: number, frameId: number): Promise<FrameRetry | undefined> {
    const r = await this.read(tabId, frameId);
    if (!r.retry) return undefined;
    const { retry, ...rest } = r;
    await this.write(rest);
    return retry;
  }

  /** Forgets every frame of a closed tab. */
  async clear(tabId: number): Promise<void> {
    const prefix = `frame:${tabId}:`;
    const keys = new Set([...this.memory.keys()].filter((k) => k.startsWith(prefix)));
    for (const k of Object.keys(await this.area.get(null))) if (k.startsWith(prefix)) keys.add(k);
    for (const k of keys) this.memory.delete(k);
    if (keys.size) await this.area.remove([...keys]);
  }
}
