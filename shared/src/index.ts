/**
 * @micromint/shared: what a MicroMint wallet, vendor and broker agree on.
 * See docs/protocol.md for the specification these modules implement.
 * @module
 */
export * from './assert.ts';
export * from './bytes.ts';
export * from './params.ts';
export * from './money.ts';
export * from './hash.ts';
export * from './offsets.ts';
export * from './reasons.ts';
export * from './coin.ts';
export * from './superbin-set.ts';
export * from './message.ts';
export * from './messages.ts';
export * from './x402.ts';
export * from './network.ts';
export * from './scheme.ts';
export * from './payword/index.ts';
export * from './wallet/index.ts';
