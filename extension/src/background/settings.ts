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
  /**
   * The user the wallet belongs to; empty until the first Funds-Withdrawn (or the broker's account
   * page) fills it. It comes from the broker: the options page shows it and never sets it.
   */
  userId: string;
  /** The origin of the broker whose page gave {@link userId} (`''` when not known: set before this was kept). */
  userIdFrom: string;
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
  /** Show a small receipt on the page after paying it ("Paid 2 coins (0.2¢) to shop.example"). */
  showReceipts: boolean;
  /** Price hints (issue 10): links to paid pages above the threshold show their price before the click. */
  showPriceHints: boolean;
}

/** Settings of a fresh install. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  brokerUrl: 'http://127.0.0.1:4000',
  userId: '',
  userIdFrom: '',
  autopayThreshold: 5,
  chainsEnabled: true,
  openChainAfterPages: 2,
  chainLinks: 100,
  maxHeldMills: 1000,
  chainLifetimeSeconds: 7 * 24 * 60 * 60,
  showReceipts: true,
  showPriceHints: true,
});

/**
 * Settings only the worker sets (from the broker's pages), never the options page: `settings-set`
 * refuses them ({@link validatePageChange}).
 */
export const BROKER_GIVEN_SETTINGS: readonly (keyof Settings)[] = ['userId', 'userIdFrom'];

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

const BOOLEAN_SETTING_WORDS = {
  chainsEnabled: 'paying with chains',
  showReceipts: 'the receipt on the page',
  showPriceHints: 'prices on links',
} as const;

const originOrUndefined = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
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
  if (change.userIdFrom !== undefined) {
    const from = String(change.userIdFrom);
    if (from !== '' && originOrUndefined(from) !== from) throw new SettingsError('userIdFrom', 'the user id comes from a broker origin');
    out.userIdFrom = from;
  }
  for (const field of Object.keys(BOOLEAN_SETTING_WORDS) as (keyof typeof BOOLEAN_SETTING_WORDS)[]) {
    const v = change[field];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new SettingsError(field, `${BOOLEAN_SETTING_WORDS[field]} is on or off (true or false)`);
    out[field] = v;
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

/**
 * {@link validateSettings} for a change sent by the options page (`settings-set`): the settings the
 * broker gives ({@link BROKER_GIVEN_SETTINGS}) are refused, naming the field.
 * @example
 * validatePageChange({ showReceipts: false }); // { showReceipts: false }
 * validatePageChange({ userId: 'u_1' }); // throws SettingsError (field userId)
 */
export function validatePageChange(change: Partial<Settings>): Partial<Settings> {
  for (const field of BROKER_GIVEN_SETTINGS)
    if (change[field] !== undefined) throw new SettingsError(field, 'the user id comes from your broker and cannot be changed here');
  return validateSettings(change);
}

/**
 * The broker's page where a reader buys coins (its account page).
 * @example
 * buyPage('http://127.0.0.1:4000/'); // 'http://127.0.0.1:4000/account'
 */
export const buyPage = (brokerUrl: string): string => `${brokerUrl.replace(/\/+$/, '')}/account`;

/** The origin of the configured broker. */
export const brokerOrigin = (s: Settings): string => new URL(s.brokerUrl).origin;

/**
 * Calls `changed` whenever the area is written from anywhere (`storage.onChanged` for it): with
 * it, a {@link SettingsStore} keeps the settings it read until then.
 */
export type AreaWatch = (changed: () => void) => void;

/**
 * Settings over a storage area, with defaults for what was never saved. Each setting is its own
 * key, so settings saved by an older wallet need no migration: a setting it did not know (e.g.
 * `showReceipts`, `userIdFrom`) reads as its default, the others as saved.
 *
 * Every payment reads the settings; given a {@link AreaWatch}, the store keeps what it read until
 * the area changes (its own writes included), instead of reading it each time.
 * @example
 * const settings = new SettingsStore(browser.storage.local);
 * const { autopayThreshold } = await settings.get();
 */
export class SettingsStore {
  /** The settings as last read, when the store is told of changes; undefined until read again. */
  private cached?: Promise<Settings>;
  private readonly keeps: boolean;

  constructor(
    private readonly area: KeyValueArea,
    watch?: AreaWatch,
  ) {
    this.keeps = watch !== undefined;
    watch?.(() => (this.cached = undefined));
  }

  /** The current settings. Stored values that no longer validate fall back to the default. */
  async get(): Promise<Settings> {
    if (!this.keeps) return this.read();
    const read = (this.cached ??= this.read());
    try {
      return { ...(await read) };
    } catch (e) {
      if (this.cached === read) this.cached = undefined;
      throw e;
    }
  }

  private async read(): Promise<Settings> {
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

  /** Validates and saves a change (the worker's own, e.g. the user id from the broker); returns the new settings. */
  async update(change: Partial<Settings>): Promise<Settings> {
    const valid = validateSettings(change);
    await this.saved(valid);
    return this.get();
  }

  /** Saves a change sent by the options page ({@link validatePageChange}: not the broker's settings). */
  async updateFromPage(change: Partial<Settings>): Promise<Settings> {
    const valid = validatePageChange(change);
    await this.saved(valid);
    return this.get();
  }

  private async saved(valid: Partial<Settings>): Promise<void> {
    this.cached = undefined;
    try {
      await this.area.set(valid);
    } finally {
      this.cached = undefined;
    }
  }
}
