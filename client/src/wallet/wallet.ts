/**
 * A wallet: a directory holding `wallet.db` (SQLite: sets, coins, chains, payments, history) and
 * `config.json` (broker, token, caps). One `Wallet` per process is enough; several processes may
 * open the same directory at once.
 * @module
 */
import { join } from 'node:path';
import { astring, DEFAULT_CHAIN_POLICY, type ChainPolicy, type ImportResult } from '@micromint/shared';
import { BrokerClient, type FetchLike } from '../broker/api.ts';
import { ChainOpener } from '../broker/chain-opener.ts';
import { WalletError } from '../errors.ts';
import { walletBalance, type Balance } from './balance.ts';
import { DEFAULT_CAPS, type Caps } from './caps.ts';
import { allChains, type ChainRecord } from './chains.ts';
import { readConfig, writeConfig, type WalletConfig } from './config.ts';
import { openWalletDb, type WalletDb } from './db.ts';
import { recentHistory, type HistoryEntry } from './history.ts';
import { importFunds } from './import.ts';
import { getMeta } from './meta.ts';
import { pendingPayments, recentPayments, type PaymentRecord } from './payments.ts';

/** Options of {@link openWallet}. */
export interface WalletOptions {
  /** The fetch the wallet's broker calls go through (default: the global fetch). */
  fetch?: FetchLike;
}

/** An open wallet. */
export class Wallet {
  readonly db: WalletDb;
  /** Opens chains for this wallet's payments (one queue per wallet). */
  readonly chains: ChainOpener;
  private config: WalletConfig;

  constructor(
    readonly dir: string,
    private readonly options: WalletOptions = {},
  ) {
    astring(dir, 'dir', 4096);
    this.config = readConfig(dir);
    this.db = openWalletDb(join(dir, 'wallet.db'));
    this.chains = new ChainOpener(
      this.db,
      () => this.broker(),
      () => this.policy,
    );
  }

  /** The broker's base URL: the one `login` stored, else the one the first purchase came from. */
  get brokerUrl(): string | undefined {
    return this.config.broker ?? getMeta(this.db, 'broker');
  }

  /** The user the wallet belongs to (set by the first purchase or `login`). */
  get userId(): string | undefined {
    return getMeta(this.db, 'userId');
  }

  /** The stored settings. */
  get settings(): Readonly<WalletConfig> {
    return this.config;
  }

  /** The caps of `config.json` over the defaults. */
  get caps(): Caps {
    return { ...DEFAULT_CAPS, ...this.config.caps };
  }

  /** The chain policy of `config.json` over the defaults. */
  get policy(): ChainPolicy {
    return { ...DEFAULT_CHAIN_POLICY, ...this.config.policy };
  }

  /** Changes and stores settings (`login`, caps). */
  configure(change: Partial<WalletConfig>): void {
    this.config = { ...this.config, ...change };
    writeConfig(this.dir, this.config);
  }

  /**
   * The broker client, with the stored token.
   * @throws WalletError `no-broker` before `login` or a first purchase.
   */
  broker(): BrokerClient {
    const url = this.brokerUrl;
    if (!url) throw new WalletError('no-broker', 'this wallet has no broker yet: run `micromint-wallet login`');
    return new BrokerClient(url, this.config.token, this.options.fetch);
  }

  /** Stores the sets of a Funds-Withdrawn message (see `importFunds`). */
  importFunds(text: string, now = Date.now()): ImportResult {
    return importFunds(this.db, text, now);
  }

  /** What the wallet holds. */
  balance(now = Date.now()): Balance {
    return walletBalance(this.db, now);
  }

  /** The newest history entries, newest first. */
  history(limit = 50): HistoryEntry[] {
    return recentHistory(this.db, limit);
  }

  /** The newest payments, newest first. */
  payments(limit = 50): PaymentRecord[] {
    return recentPayments(this.db, limit);
  }

  /** Payments whose answer never came, oldest first (their coins or links stay spent until they are answered). */
  pending(): PaymentRecord[] {
    return pendingPayments(this.db);
  }

  /** Every chain the wallet made. */
  chainList(): ChainRecord[] {
    return allChains(this.db);
  }

  /** Closes the wallet file. */
  close(): void {
    this.db.close();
  }
}

/**
 * Opens (creating if needed) the wallet in `dir`.
 * @example
 * const wallet = openWallet(defaultWalletDir());
 * console.log(formatMoney(wallet.balance().total));
 */
export const openWallet = (dir: string, options: WalletOptions = {}): Wallet => new Wallet(dir, options);
