/**
 * The rules a MicroMint wallet follows, whatever it stores its coins and chains in: the browser
 * extension (IndexedDB) and the Node client (SQLite) use these pure functions, so they choose,
 * size, pay and settle alike.
 * @module
 */
export * from './chain-record.ts';
export * from './chain-terms.ts';
export * from './choose-scheme.ts';
export * from './chain-opening.ts';
export * from './link-range.ts';
export * from './link-payment.ts';
export * from './payword-answer.ts';
export * from './payment-answer.ts';
export * from './offer.ts';
export * from './funds-import.ts';
