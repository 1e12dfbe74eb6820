/**
 * PayWord-style hash chains (the iKP report's repeated micro-payments), beside MicroMint coins.
 * @module
 */
export * from './chain.ts';
export * from './commitment.ts';
export * from './signatures.ts';
export * from './mac.ts';
export * from './scheme.ts';
export * from './reasons.ts';
export type * from './info.ts';
