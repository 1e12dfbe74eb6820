/**
 * The broker's options, checked eagerly: a wrong option throws when the broker is created, not at first use.
 * @module
 */
import { MAX_CHAIN_LENGTH, aint, aobject, astring } from '@micromint/shared';
import { SandboxFunding, type FundingProvider } from './core/funding.ts';
import { readWalletZip } from './core/wallet-zip.ts';
import type { PgConnection } from './db/pg/database.ts';
import { resolvePostgresBrokerOptions, type PostgresBrokerOptions } from './db/pg/options.ts';

/** Options of `createBroker`: where the store is (exactly one of `dbPath` and `postgres`), then the policy. */
export interface BrokerOptions {
  /** SQLite file (created when missing): the embedded store of a broker that runs as one process. */
  dbPath?: string;
  /**
   * A PostgreSQL database (its schema created on first start): for a broker that runs as several processes,
   * on one machine or many, every one of them given the same database.
   */
  postgres?: PostgresBrokerOptions;
  /** The broker's public base URL, e.g. `http://127.0.0.1:4000`: named in every message it sends. */
  publicUrl: string;
  /** Ways to add funds; default `[new SandboxFunding()]`. */
  fundingProviders?: FundingProvider[];
  /**
   * Fewest complaining customers that can disable a vendor; default 5. Only customers who paid the vendor at
   * least `complaintMinSpendMills` in the window count, and they must also be `complaintShare` of its paying
   * customers and of its takings in the window (see core/complaints.ts).
   */
  complaintThreshold?: number;
  /** Mills a complainer must have paid the vendor in the window for the complaint to count; default 10. */
  complaintMinSpendMills?: number;
  /** Share (0 < share <= 1) of the vendor's paying customers, and of its takings, the complainers must reach; default 0.25. */
  complaintShare?: number;
  /** Days of redemptions and complaints the complaint rule looks at; default 30. */
  complaintWindowDays?: number;
  /**
   * Seconds after an epoch expires during which vendors may still redeem its coins; Request-Credit returns
   * open when it ends. Default 7 days. Pinned per epoch when the epoch is first published.
   */
  redeemGraceSeconds?: number;
  /** Vendor registrations (API and site form together) one IP address may make per hour; default 20. */
  registrationsPerHour?: number;
  /** `POST /api/redeem` requests one API key may make per minute; default 60. */
  redeemsPerMinute?: number;
  /** `POST /api/redeem` requests one IP address may make per minute, over all its keys; default 600. */
  redeemsPerMinutePerAddress?: number;
  /** `POST /api/credit` requests one IP address may make per minute; default 30. */
  creditsPerMinute?: number;
  /**
   * Seconds after a PayWord chain's expiry during which its vendor may still clear it; then the unspent
   * hold goes back to the user. Default 1 day. Pinned per chain when the chain is authorized.
   */
  chainGraceSeconds?: number;
  /** Latest expiry a chain may name, in seconds from its authorization; default 30 days. */
  maxChainExpirySeconds?: number;
  /** Most links a chain may have; default 10,000 (the scheme allows 100,000). */
  maxChainLength?: number;
  /** `POST /api/payword/chains` requests one user may make per minute; default 30. */
  chainsPerMinute?: number;
  /** `POST /api/payword/chains` requests one IP address may make per minute; default 120. */
  chainsPerMinutePerAddress?: number;
  /** Session lifetime in milliseconds; default 7 days. */
  sessionTtl?: number;
  /** Most superbin sets in one purchase; default 20. */
  maxSetsPerPurchase?: number;
  /** Largest single deposit in mills; default 100,000 ($100). */
  maxDepositMills?: number;
  /** Log-in and sign-up attempts one IP address may make per minute; default 20. */
  authAttemptsPerMinute?: number;
  /**
   * The built wallet extension as a zip (`npm run build` writes `dist/micromint-wallet.zip`), offered on the
   * wallet page at `/wallet/micromint-wallet.zip`. It must exist and hold the extension's manifest.json. Without
   * it the wallet page says how to build the wallet from source.
   */
  walletZip?: string;
  /** The clock (tests move it); default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Options with every default filled in: `walletZip` an absolute path, or undefined when none is offered; one
 * of `dbPath` and `postgres` set (the latter with its defaults), the other undefined.
 */
export type ResolvedOptions = Required<Omit<BrokerOptions, 'walletZip' | 'dbPath' | 'postgres'>> & {
  walletZip: string | undefined;
  dbPath: string | undefined;
  postgres: PgConnection | undefined;
};

/** Where the store is: exactly one of `dbPath` and `postgres`, checked (RangeError / TypeError otherwise). */
function resolveStoreOptions(o: BrokerOptions): Pick<ResolvedOptions, 'dbPath' | 'postgres'> {
  if ((o.dbPath === undefined) === (o.postgres === undefined))
    throw new RangeError('give the broker exactly one store: dbPath (a SQLite file) or postgres ({ connectionString, ... })');
  if (o.dbPath !== undefined) {
    astring(o.dbPath, 'dbPath', 4096);
    return { dbPath: o.dbPath, postgres: undefined };
  }
  return { dbPath: undefined, postgres: resolvePostgresBrokerOptions(o.postgres!) };
}

const DAY = 86_400_000;

/** Normalises a public URL: http(s), no query or fragment, no trailing slash. Throws `RangeError` otherwise. */
export function normalizePublicUrl(url: unknown): string {
  astring(url, 'publicUrl', 2048);
  if (!URL.canParse(url)) throw new RangeError('publicUrl must be an absolute URL such as http://127.0.0.1:4000');
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError('publicUrl must be http or https');
  if (u.search || u.hash || u.username || u.password) throw new RangeError('publicUrl must not have a query, fragment or credentials');
  return (u.origin + u.pathname).replace(/\/+$/, '');
}

/**
 * Checks options and fills defaults.
 * @example
 * resolveOptions({ dbPath: 'broker.db', publicUrl: 'http://127.0.0.1:4000' }).complaintThreshold; // 5
 */
export function resolveOptions(o: BrokerOptions): ResolvedOptions {
  aobject(o, 'options');
  const store = resolveStoreOptions(o);
  const publicUrl = normalizePublicUrl(o.publicUrl);
  const fundingProviders = o.fundingProviders ?? [new SandboxFunding()];
  if (!Array.isArray(fundingProviders) || fundingProviders.length === 0)
    throw new RangeError('fundingProviders must list at least one provider');
  const ids = new Set<string>();
  for (const p of fundingProviders) {
    aobject(p, 'funding provider');
    astring(p.id, 'funding provider id', 64, /^[A-Za-z0-9_-]+$/);
    astring(p.label, 'funding provider label', 200);
    if (typeof p.charge !== 'function') throw new TypeError(`funding provider ${p.id} needs a charge function`);
    if (ids.has(p.id)) throw new RangeError(`two funding providers are called ${p.id}`);
    ids.add(p.id);
  }
  const complaintThreshold = o.complaintThreshold ?? 5;
  aint(complaintThreshold, 1, 1_000_000, 'complaintThreshold');
  const complaintMinSpendMills = o.complaintMinSpendMills ?? 10;
  aint(complaintMinSpendMills, 1, 1e12, 'complaintMinSpendMills');
  const complaintShare = o.complaintShare ?? 0.25;
  if (typeof complaintShare !== 'number') throw new TypeError('complaintShare must be a number');
  if (!(complaintShare > 0 && complaintShare <= 1)) throw new RangeError('complaintShare must be above 0 and at most 1');
  const complaintWindowDays = o.complaintWindowDays ?? 30;
  aint(complaintWindowDays, 1, 3660, 'complaintWindowDays');
  const redeemGraceSeconds = o.redeemGraceSeconds ?? 7 * 86_400;
  aint(redeemGraceSeconds, 0, 3660 * 86_400, 'redeemGraceSeconds');
  const registrationsPerHour = o.registrationsPerHour ?? 20;
  aint(registrationsPerHour, 1, 1_000_000, 'registrationsPerHour');
  const redeemsPerMinute = o.redeemsPerMinute ?? 60;
  aint(redeemsPerMinute, 1, 1_000_000, 'redeemsPerMinute');
  const redeemsPerMinutePerAddress = o.redeemsPerMinutePerAddress ?? 600;
  aint(redeemsPerMinutePerAddress, 1, 1_000_000, 'redeemsPerMinutePerAddress');
  const creditsPerMinute = o.creditsPerMinute ?? 30;
  aint(creditsPerMinute, 1, 1_000_000, 'creditsPerMinute');
  const chainGraceSeconds = o.chainGraceSeconds ?? 86_400;
  aint(chainGraceSeconds, 0, 3660 * 86_400, 'chainGraceSeconds');
  const maxChainExpirySeconds = o.maxChainExpirySeconds ?? 30 * 86_400;
  aint(maxChainExpirySeconds, 1, 3660 * 86_400, 'maxChainExpirySeconds');
  const maxChainLength = o.maxChainLength ?? 10_000;
  aint(maxChainLength, 1, MAX_CHAIN_LENGTH, 'maxChainLength');
  const chainsPerMinute = o.chainsPerMinute ?? 30;
  aint(chainsPerMinute, 1, 1_000_000, 'chainsPerMinute');
  const chainsPerMinutePerAddress = o.chainsPerMinutePerAddress ?? 120;
  aint(chainsPerMinutePerAddress, 1, 1_000_000, 'chainsPerMinutePerAddress');
  const sessionTtl = o.sessionTtl ?? 7 * DAY;
  aint(sessionTtl, 60_000, 366 * DAY, 'sessionTtl');
  const maxSetsPerPurchase = o.maxSetsPerPurchase ?? 20;
  aint(maxSetsPerPurchase, 1, 1000, 'maxSetsPerPurchase');
  const maxDepositMills = o.maxDepositMills ?? 100_000;
  aint(maxDepositMills, 1, 1e12, 'maxDepositMills');
  const authAttemptsPerMinute = o.authAttemptsPerMinute ?? 20;
  aint(authAttemptsPerMinute, 1, 1_000_000, 'authAttemptsPerMinute');
  if (o.walletZip !== undefined) astring(o.walletZip, 'walletZip', 4096);
  const walletZip = o.walletZip === undefined ? undefined : readWalletZip(o.walletZip).path;
  const now = o.now ?? (() => new Date());
  if (typeof now !== 'function') throw new TypeError('now must be a function');
  return {
    ...store,
    publicUrl,
    fundingProviders,
    complaintThreshold,
    complaintMinSpendMills,
    complaintShare,
    complaintWindowDays,
    redeemGraceSeconds,
    sessionTtl,
    maxSetsPerPurchase,
    maxDepositMills,
    authAttemptsPerMinute,
    registrationsPerHour,
    redeemsPerMinute,
    redeemsPerMinutePerAddress,
    creditsPerMinute,
    chainGraceSeconds,
    maxChainExpirySeconds,
    maxChainLength,
    chainsPerMinute,
    chainsPerMinutePerAddress,
    walletZip,
    now,
  };
}
