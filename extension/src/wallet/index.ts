/**
 * The MicroMint wallet: superbin sets in IndexedDB, coins made per vendor, payments and returns.
 * @module
 */
export * from './db.ts';
export * from './errors.ts';
export * from './schema.ts';
export * from './coins.ts';
export * from './import.ts';
export * from './spend.ts';
export * from './settle.ts';
export * from './returns.ts';
export * from './summary.ts';
export * from './wallet-key.ts';
export * from './brokers.ts';
export * from './chains.ts';
export * from './pay-link.ts';
export * from './settle-link.ts';
export * from './visits.ts';
export * from './budgets.ts';
