/**
 * What every command of `micromint-wallet` is made of: its options (with the global `--wallet` and
 * `--json`), its help text, and its run function, which returns the exit code.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultWalletDir } from '../wallet/config.ts';
import { openWallet, type Wallet } from '../wallet/wallet.ts';
import { UsageError } from './exit-codes.ts';
import type { Output } from './output.ts';

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  wallet: { type: 'string', short: 'w' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** What a command runs with. */
export interface CommandContext {
  /** The arguments after the command's name. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Reads all of stdin (for a token piped in). */
  readStdin: () => Promise<string>;
  /** Makes the output once `--json` is known. */
  output: (json: boolean) => Output;
}

/** A command. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Its help: usage and options. */
  help: string;
  run(ctx: CommandContext): Promise<number>;
}

/** What {@link parse} gives: the options' values and the positional arguments. */
export interface Parsed<O extends Options> {
  values: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof GLOBAL_OPTIONS & O; allowPositionals: true; strict: true }>
  >['values'];
  positionals: string[];
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `args` with the command's options and the global ones; a wrong option is a {@link UsageError}. */
export function parse<O extends Options>(args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The wallet directory: `--wallet`, else `$MICROMINT_WALLET`, else `~/.micromint`. */
export const walletDir = (value: string | undefined, env: NodeJS.ProcessEnv): string => (value ? value : defaultWalletDir(env));

/** Runs `fn` with the wallet of `dir` open, closing it after. */
export async function withWallet<T>(dir: string, fn: (wallet: Wallet) => Promise<T>): Promise<T> {
  const wallet = openWallet(dir);
  try {
    return await fn(wallet);
  } finally {
    wallet.close();
  }
}

/** A whole number option. */
export function intOption(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return Number(value);
}
