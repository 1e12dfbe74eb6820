/**
 * The user's options (thesis: User ID, wallet, autopay threshold; and when to pay a site with a
 * PayWord chain instead of coins), kept in `storage.local`. Money is in mills (1 coin = 1 mill =
 * $0.001), so the threshold means the same whether a page is paid with coins or with links.
 * @module
 */
import type { KeyValueArea } from './storage-area.ts';

/** The options page's settings. */
export interface Settings {
  /** The broker whose pages may deliver funds, ask for returns and connect the wallet. */
  brokerUrl: string;
  /** The user the wallet belongs to; empty until the first Funds-Withdrawn (or the broker's account page) fills it. */
  userId: string;
  /** Prices up to this many mills (= coins) are paid without asking (thesis default: 5). */
  autopayThreshold: number;
  /** Open PayWord chains at sites the reader comes back to. Off: no new chain is opened (links of chains already open are still spent). */
  chainsEnabled: boolean;
  /** A chain is opened from this paid page at a site within a day on (2: from the second). */
  openChainAfterPages: number;
  /** Links in a new chain (a page needing more opens a chain of exactly that many). */
  chainLinks: number;
  /** Most mills held in all open chains together: a new chain that would go above it is made shorter, or not opened. */
  maxHeldMills: number;
  /** How long a new chain pays, in seconds (the broker's `maxExpirySeconds` caps it); its unspent links come back after that and the broker's grace. */
  chainLifetimeSeconds: number;
}

/** Settings of a fresh install. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  brokerUrl: 'http://127.0.0.1:4000',
  userId: '',
  autopayThreshold: 5,
  chainsEnabled: true,
  openChainAfterPages: 2,
  chainLinks: 100,
  maxHeldMills: 1000,
  chainLifetimeSeconds: 7 * 24 * 60 * 60,
});

/** Largest autopay threshold the options accept, in mills. */
export const MAX_THRESHOLD = 1000;
/** Bounds of the chain settings: [least, most]. */
export const CHAIN_SETTING_BOUNDS = {
  openChainAfterPages: [1, 100],
  chainLinks: [1, 100_000],
  maxHeldMills: [0, 10_000_000],
  chainLifetimeSeconds: [600, 365 * 24 * 60 * 60],
} as const satisfies Partial<Record<keyof Settings, readonly [number, number]>>;
const USER_ID = /^[\x21-\x7e]{1,128}$/;
const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

const CHAIN_SETTING_WORDS: Record<keyof typeof CHAIN_SETTING_BOUNDS, string> = {
  openChainAfterPages: 'the page a chain is opened from must be a whole number',
  chainLinks: 'the links in a chain must be a whole number',
  maxHeldMills: 'the most held in chains must be a whole number of mills',
  chainLifetimeSeconds: 'a chain\u2019s lifetime must be a whole number of seconds',
};

/** A setting the options page sent that cannot be stored; `field` names the input. */
export class SettingsError extends RangeError {
  override name = 'SettingsError';
  constructor(
    readonly field: keyof Settings,
    message: string,
  ) {
    super(message);
  }
}

/** Checks and normalises a change; throws {@link SettingsError} naming the first bad field. */
export function validateSettings(change: Partial<Settings>): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (change.brokerUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(String(change.brokerUrl).trim());
    } catch {
      throw new SettingsError('brokerUrl', 'the broker URL is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SettingsError('brokerUrl', 'the broker URL must be http or https');
    out.brokerUrl = url.href.replace(/\/+$/, '');
  }
  if (change.userId !== undefined) {
    const id = String(change.userId).trim();
    if (id !== '' && !USER_ID.test(id)) throw new SettingsError('userId', 'a user id is 1 to 128 printable characters without spaces');
    out.userId = id;
  }
  if (change.autopayThreshold !== undefined) {
    const t = change.autopayThreshold;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0 || t > MAX_THRESHOLD)
      throw new SettingsError('autopayThreshold', `the threshold must be a whole number of mills (coins) from 0 to ${MAX_THRESHOLD}`);
    out.autopayThreshold = t;
  }
  if (change.chainsEnabled !== undefined) {
    if (typeof change.chainsEnabled !== 'boolean') throw new SettingsError('chainsEnabled', 'chains are on or off (true or false)');
    out.chainsEnabled = change.chainsEnabled;
  }
  for (const field of Object.keys(CHAIN_SETTING_BOUNDS) as (keyof typeof CHAIN_SETTING_BOUNDS)[]) {
    const v = change[field];
    if (v === undefined) continue;
    const [min, max] = CHAIN_SETTING_BOUNDS[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
      throw new SettingsError(field, `${CHAIN_SETTING_WORDS[field]} from ${min} to ${max}`);
    out[field] = v;
  }
  return out;
}

/** The origin of the configured broker. */
export const brokerOrigin = (s: Settings): string => new URL(s.brokerUrl).origin;

/**
 * Settings over a storage area, with defaults for what was never saved.
 * @example
 * const settings = new SettingsStore(browser.storage.local);
 * const { autopayThreshold } = await settings.get();
 */
export class SettingsStore {
  constructor(private readonly area: KeyValueArea) {}

  /** The current settings. Stored values that no longer validate fall back to the default. */
  async get(): Promise<Settings> {
    const stored = await this.area.get(SETTING_KEYS);
    const out: Settings = { ...DEFAULT_SETTINGS };
    for (const key of SETTING_KEYS) {
      if (stored[key] === undefined) continue;
      try {
        Object.assign(out, validateSettings({ [key]: stored[key] }));
      } catch {
        // keep the default
      }
    }
    return out;
  }

  /** Validates and saves a change; returns the new settings. */
  async update(change: Partial<Settings>): Promise<Settings> {
    const valid = validateSettings(change);
    await this.area.set(valid);
    return this.get();
  }
}
