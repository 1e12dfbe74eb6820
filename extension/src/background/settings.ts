/**
 * The user's options (thesis: User ID, wallet, autopay threshold), kept in `storage.local`.
 * @module
 */
import type { KeyValueArea } from './storage-area.ts';

/** The options page's settings. */
export interface Settings {
  /** The broker whose pages may deliver funds and ask for returns. */
  brokerUrl: string;
  /** The user the wallet belongs to; empty until the first Funds-Withdrawn fills it. */
  userId: string;
  /** Prices up to this many coins are paid without asking (thesis default: 5). */
  autopayThreshold: number;
}

/** Settings of a fresh install. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  brokerUrl: 'http://127.0.0.1:4000',
  userId: '',
  autopayThreshold: 5,
});

/** Largest autopay threshold the options accept. */
export const MAX_THRESHOLD = 1000;
const USER_ID = /^[\x21-\x7e]{1,128}$/;

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
      throw new SettingsError('autopayThreshold', `the threshold must be a whole number of coins from 0 to ${MAX_THRESHOLD}`);
    out.autopayThreshold = t;
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
    const stored = await this.area.get(['brokerUrl', 'userId', 'autopayThreshold']);
    const out: Settings = { ...DEFAULT_SETTINGS };
    for (const key of ['brokerUrl', 'userId', 'autopayThreshold'] as const) {
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
