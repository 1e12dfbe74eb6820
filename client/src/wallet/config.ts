/**
 * The wallet directory's settings file, `config.json` (mode 0600): the broker and the API token
 * `login` stored, and the caps and chain policy the CLI and the MCP server apply. The wallet file
 * itself is `wallet.db` beside it.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChainPolicy } from '@micromint/shared';
import { WalletError } from '../errors.ts';
import { validateCaps, type Caps } from './caps.ts';

/** What `config.json` holds. */
export interface WalletConfig {
  /** The broker's base URL. */
  broker?: string;
  /** The API token (`mmt_...`). */
  token?: string;
  /** Spending caps in mills; the defaults apply to caps left out. */
  caps?: Caps;
  /** The chain policy; the defaults apply to members left out. */
  policy?: Partial<ChainPolicy>;
}

/** The form of an API token. */
export const TOKEN_PATTERN = /^mmt_[A-Za-z0-9_-]{43}$/;

/** The wallet directory: `$MICROMINT_WALLET`, else `~/.micromint`. */
export const defaultWalletDir = (env: NodeJS.ProcessEnv = process.env): string =>
  resolve(env.MICROMINT_WALLET || join(homedir(), '.micromint'));

const configFile = (dir: string): string => join(dir, 'config.json');

/**
 * Reads `config.json` of `dir` ({} when there is none).
 * @throws WalletError `bad-config` when it is not the JSON this client writes.
 */
export function readConfig(dir: string): WalletConfig {
  const file = configFile(dir);
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new WalletError('bad-config', `${file} is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new WalletError('bad-config', `${file} is not a JSON object`);
  const c = json as Record<string, unknown>;
  const out: WalletConfig = {};
  if (typeof c.broker === 'string') out.broker = c.broker;
  if (typeof c.token === 'string') out.token = c.token;
  try {
    if (c.caps !== undefined) out.caps = validateCaps(c.caps, 'caps');
  } catch (e) {
    throw new WalletError('bad-config', `${file}: ${(e as Error).message}`);
  }
  if (typeof c.policy === 'object' && c.policy !== null) out.policy = c.policy as Partial<ChainPolicy>;
  return out;
}

/** Writes `config.json` of `dir` atomically, readable by its owner only. */
export function writeConfig(dir: string, config: WalletConfig): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configFile(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
