/**
 * The options form's values, read and written without the DOM: money shown by the project's one
 * rule (`formatMoney` of `@micromint/shared`: `0.5¢`, `$1.00`) and read back in that form or typed
 * as dollars ({@link parseMoney}), the chain lifetime as a number and a unit, and the checks the
 * worker makes again (settings.ts) worded for this form, so a bad value is named at its input
 * before anything is sent. The user id is not in the form: it comes from the broker.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { CHAIN_SETTING_BOUNDS, MAX_THRESHOLD, type Settings } from '../background/settings.ts';

/** A value the form cannot save, naming its settings field. */
export class FieldError extends Error {
  override name = 'FieldError';
  constructor(
    readonly field: keyof Settings,
    message: string,
  ) {
    super(message);
  }
}

/** Settings field -> the id of its input (where they differ). */
export const INPUT_OF: Partial<Record<keyof Settings, string>> = { autopayThreshold: 'threshold', chainLifetimeSeconds: 'chainLifetime' };

const DOLLARS = /^\$?\s*(\d{1,7})(?:\.(\d{0,3}))?$|^\$?\s*\.(\d{1,3})$/;
const CENTS = /^(\d{1,5})(?:\.(\d?))?\s*¢$|^\.(\d)\s*¢$/;

/**
 * Mills of an amount as the form shows it (`0.5¢`, `$1.00`, `$4.763`) or as a reader types it in
 * dollars or cents: `$0.005`, `0.005`, `1`, `.5`, `$1,250.50`, `5¢`, `0.8¢`. Undefined for anything
 * else (a fraction of a mill, a sign, letters).
 * @example
 * parseMoney('0.5¢'); // 5
 * parseMoney('$1.00'); // 1000
 */
export function parseMoney(text: string): number | undefined {
  const t = text.trim().replace(/,/g, '');
  const c = CENTS.exec(t);
  if (c) return Number(c[1] ?? '0') * 10 + Number(c[2] || c[3] || '0');
  const m = DOLLARS.exec(t);
  if (!m) return undefined;
  const whole = m[1] ?? '0';
  const frac = (m[2] ?? m[3] ?? '').padEnd(3, '0');
  return Number(whole) * 1000 + Number(frac || '0');
}

/** The units the lifetime can be typed in, largest first, in seconds. */
export const LIFETIME_UNITS = [86_400, 3600, 60] as const;

/** A lifetime in seconds as the form shows it: the largest unit that divides it, else minutes (rounded). */
export function splitLifetime(seconds: number): { amount: number; unit: (typeof LIFETIME_UNITS)[number] } {
  for (const unit of LIFETIME_UNITS) if (seconds % unit === 0) return { amount: seconds / unit, unit };
  return { amount: Math.max(1, Math.round(seconds / 60)), unit: 60 };
}

/** What the form holds, as typed. */
export interface FormValues {
  brokerUrl: string;
  threshold: string;
  showReceipts: boolean;
  /** Price hints on links (issue 10). */
  showPriceHints: boolean;
  chainsEnabled: boolean;
  openChainAfterPages: string;
  chainLinks: string;
  maxHeldMills: string;
  chainLifetime: string;
  chainLifetimeUnit: string;
}

function wholeNumber(text: string, field: keyof typeof CHAIN_SETTING_BOUNDS, what: string): number {
  const [min, max] = CHAIN_SETTING_BOUNDS[field];
  const n = /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new FieldError(field, `${what} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * The change to send with `settings-set`, checked field by field in the form's order.
 * @throws FieldError naming the first value that cannot be saved
 * @example
 * toSettings({ ...values, threshold: '$0.005' }).autopayThreshold; // 5
 */
export function toSettings(v: FormValues): Partial<Settings> {
  const threshold = parseMoney(v.threshold);
  if (threshold === undefined || threshold > MAX_THRESHOLD)
    throw new FieldError(
      'autopayThreshold',
      `the threshold is an amount from ${formatMoney(0)} to ${formatMoney(MAX_THRESHOLD)}, in steps of ${formatMoney(1)}`,
    );
  const openChainAfterPages = wholeNumber(v.openChainAfterPages, 'openChainAfterPages', 'the page a chain is opened from');
  const chainLinks = wholeNumber(v.chainLinks, 'chainLinks', 'the links in a chain');
  const [minHeld, maxHeld] = CHAIN_SETTING_BOUNDS.maxHeldMills;
  const maxHeldMills = parseMoney(v.maxHeldMills);
  if (maxHeldMills === undefined || maxHeldMills < minHeld || maxHeldMills > maxHeld)
    throw new FieldError(
      'maxHeldMills',
      `the most held in chains is an amount from ${formatMoney(minHeld)} to ${formatMoney(maxHeld)}, in steps of ${formatMoney(1)}`,
    );
  const [minLife, maxLife] = CHAIN_SETTING_BOUNDS.chainLifetimeSeconds;
  const unit = Number(v.chainLifetimeUnit);
  const amount = /^\d{1,9}$/.test(v.chainLifetime.trim()) ? Number(v.chainLifetime.trim()) : Number.NaN;
  const chainLifetimeSeconds = amount * unit;
  if (
    !LIFETIME_UNITS.includes(unit as never) ||
    !Number.isSafeInteger(chainLifetimeSeconds) ||
    chainLifetimeSeconds < minLife ||
    chainLifetimeSeconds > maxLife
  )
    throw new FieldError(
      'chainLifetimeSeconds',
      `a chain pays for 10 minutes to 365 days (a whole number of ${unit === 86_400 ? 'days' : unit === 3600 ? 'hours' : 'minutes'})`,
    );
  return {
    brokerUrl: v.brokerUrl,
    autopayThreshold: threshold,
    showReceipts: v.showReceipts,
    showPriceHints: v.showPriceHints,
    chainsEnabled: v.chainsEnabled,
    openChainAfterPages,
    chainLinks,
    maxHeldMills,
    chainLifetimeSeconds,
  };
}

/** Settings as the form shows them. */
export function toForm(s: Settings): FormValues {
  const life = splitLifetime(s.chainLifetimeSeconds);
  return {
    brokerUrl: s.brokerUrl,
    threshold: formatMoney(s.autopayThreshold),
    showReceipts: s.showReceipts,
    showPriceHints: s.showPriceHints,
    chainsEnabled: s.chainsEnabled,
    openChainAfterPages: String(s.openChainAfterPages),
    chainLinks: String(s.chainLinks),
    maxHeldMills: formatMoney(s.maxHeldMills),
    chainLifetime: String(life.amount),
    chainLifetimeUnit: String(life.unit),
  };
}

/** The hint under the chain size: what one chain of that size holds at 1 mill a link, and against the cap. */
export function chainSizeHint(links: number, maxHeldMills: number | undefined): string {
  if (!Number.isSafeInteger(links) || links < 1) return 'Each link pays one unit of the site\u2019s price.';
  const held = `A chain of ${links} ${links === 1 ? 'link' : 'links'} at ${formatMoney(1)} a link holds ${formatMoney(links)} of your broker balance while it is open.`;
  return maxHeldMills !== undefined && links > maxHeldMills ? `${held} That is above your cap: such a chain is made shorter.` : held;
}
