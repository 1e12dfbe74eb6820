/**
 * Reading an amount of money on the command line: `$0.05` (dollars), `0.5c` or `0.5¢` (cents),
 * `5m` or a bare `5` (mills; 1 mill = $0.001 = 1 coin). Printing is `formatMoney`'s.
 * @module
 */
import { MAX_CAP_MILLS } from '../wallet/caps.ts';
import { UsageError } from './exit-codes.ts';

const FORMS: readonly [RegExp, number][] = [
  [/^\$(\d+(?:\.\d{1,3})?)$/, 1000],
  [/^(\d+(?:\.\d)?)(?:c|¢)$/, 10],
  [/^(\d+)m?$/, 1],
];

/**
 * Mills of `text`.
 * @throws UsageError for anything else, or a fraction of a mill.
 * @example
 * parseMoneyArg('$0.05'); // 50
 * parseMoneyArg('0.5¢'); // 5
 */
export function parseMoneyArg(text: string, name: string): number {
  const t = text.trim();
  for (const [pattern, scale] of FORMS) {
    const m = pattern.exec(t);
    if (!m) continue;
    const mills = Math.round(Number(m[1]) * scale);
    if (mills <= MAX_CAP_MILLS) return mills;
  }
  throw new UsageError(`${name} must be an amount such as $0.05, 0.5c or 5 (mills), got ${JSON.stringify(text)}`);
}
