/**
 * Money as people read it. Every amount in this project is a whole number of mills: 1 coin = 1 mill = $0.001,
 * and a PayWord link is worth its chain's value in mills, so coins and links add up. One rule turns mills into
 * text, used by the broker's pages, the paywall, the wallet's popup, prompts and notices, and the CLIs:
 *
 * - under a dollar, in cents with at most one decimal: 8 mills is `0.8¢`, 50 is `5¢`, 999 is `99.9¢`;
 * - from a dollar up, in dollars with two decimals, and a third only when the amount is not a whole number of
 *   cents: 4760 is `$4.76`, 4763 is `$4.763`, 1234500 is `$1,234.50`;
 * - zero is `$0.00`; a negative amount has a leading `-`.
 *
 * Nothing is rounded away: every mill shows.
 * @module
 */
import { aint } from './assert.ts';

/** Mills in a US dollar (1 mill = 1/10 cent = 1 coin). */
export const MILLS_PER_DOLLAR = 1000;

/** Mills in a US cent. */
export const MILLS_PER_CENT = 10;

const group = (n: number): string => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * Formats an amount of mills by the project's one money rule (see the module comment).
 * Throws `TypeError` unless `mills` is a safe integer.
 * @example
 * formatMoney(8); // '0.8¢'
 * formatMoney(4760); // '$4.76'
 * formatMoney(4763); // '$4.763'
 */
export function formatMoney(mills: number): string {
  aint(mills, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'mills');
  if (mills === 0) return '$0.00';
  const sign = mills < 0 ? '-' : '';
  const abs = Math.abs(mills);
  if (abs < MILLS_PER_DOLLAR) {
    const tenths = abs % MILLS_PER_CENT;
    return `${sign}${Math.floor(abs / MILLS_PER_CENT)}${tenths === 0 ? '' : `.${tenths}`}¢`;
  }
  const rest = abs % MILLS_PER_DOLLAR;
  const frac = rest % MILLS_PER_CENT === 0 ? String(rest / MILLS_PER_CENT).padStart(2, '0') : String(rest).padStart(3, '0');
  return `${sign}$${group(Math.floor(abs / MILLS_PER_DOLLAR))}.${frac}`;
}

/**
 * A price in coins (or link units) with its money in brackets, for prompts and receipts.
 * @example
 * formatPrice(2); // '2 coins (0.2¢)'
 * formatPrice(1, 'link'); // '1 link (0.1¢)'
 */
export function formatPrice(mills: number, unit = 'coin', units = mills): string {
  aint(units, 0, Number.MAX_SAFE_INTEGER, 'units');
  return `${group(units)} ${unit}${units === 1 ? '' : 's'} (${formatMoney(mills)})`;
}
