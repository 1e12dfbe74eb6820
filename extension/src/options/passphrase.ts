/**
 * The backup dialog's passphrase hint: a rough strength from the length and the kinds of
 * characters (no word list: it is a hint, not a guarantee), and the check of the two entries.
 * @module
 */
import { MIN_PASSPHRASE_LENGTH } from '../wallet/backup-file.ts';

/** A passphrase's strength: 0 (too short) to 4 (strong), in words, with the estimate in bits. */
export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  words: string;
  bits: number;
}

const POOLS: readonly [RegExp, number][] = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[ -/:-@[-`{-~]/, 33],
  [/[^\x20-\x7e]/, 100],
];

/**
 * A rough strength: log2 of the character pool per character, counting a character seen before at
 * a quarter (so `aaaaaaaaaaaa` is weak however long).
 * @example
 * passphraseStrength('correct horse battery staple').words; // 'strong'
 * passphraseStrength('password').score; // 0 (shorter than 10 characters)
 */
export function passphraseStrength(passphrase: string): Strength {
  const chars = [...passphrase];
  const pool = POOLS.reduce((n, [re, size]) => n + (re.test(passphrase) ? size : 0), 0);
  const unique = new Set(chars).size;
  const bits = Math.round(Math.log2(Math.max(pool, 1)) * (unique + (chars.length - unique) / 4));
  if (chars.length < MIN_PASSPHRASE_LENGTH) return { score: 0, words: `too short: at least ${MIN_PASSPHRASE_LENGTH} characters`, bits };
  if (bits < 40) return { score: 1, words: 'weak: easy to guess', bits };
  if (bits < 60) return { score: 2, words: 'fair: longer is better', bits };
  if (bits < 80) return { score: 3, words: 'good', bits };
  return { score: 4, words: 'strong', bits };
}

/**
 * What is wrong with the two entries, or undefined when the passphrase may be used.
 * @example
 * passphraseProblem('correct horse battery staple', 'correct horse battery stapel'); // 'the two passphrases differ'
 */
export function passphraseProblem(first: string, again: string): string | undefined {
  if ([...first].length < MIN_PASSPHRASE_LENGTH) return `the passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`;
  if (first !== again) return 'the two passphrases differ';
  return undefined;
}
