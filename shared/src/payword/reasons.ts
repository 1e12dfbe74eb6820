/**
 * Why a vendor or the broker refuses a payword payment or clearing. Codes shared with MicroMint
 * (`expired`, `already-spent`, `wrong-vendor`) mean the same thing for a chain.
 * @module
 */
export const PAYWORD_REFUSALS = {
  'unknown-chain': 'this vendor does not know the chain: send the commitment and its authorization',
  'bad-commitment': 'the commitment bytes cannot be read or do not match the chain id',
  'bad-authorization': 'the commitment is not authorized by this broker',
  'wrong-vendor': 'the commitment names another vendor',
  'wrong-vendor-key': "the commitment names a key that is not this vendor's",
  'wrong-network': 'the commitment names another broker',
  expired: 'the chain has expired',
  'index-out-of-range': "the index is beyond the chain's length",
  'bad-mac': 'the MAC does not bind this link to this request',
  'bad-link': 'the link does not hash to the chain',
  'already-spent': 'a unit this payment claims was spent before',
  'wrong-amount': 'the units do not pay the price',
  'chain-closed': 'the chain was released after its expiry and clearing grace',
  'too-many-gaps': 'the chain has too many unpaid ranges below its highest link',
} as const;

/** A machine-readable payword refusal. */
export type PaywordRefusal = keyof typeof PAYWORD_REFUSALS;

/** True for a string that names a {@link PaywordRefusal}. */
export const isPaywordRefusal = (value: unknown): value is PaywordRefusal =>
  typeof value === 'string' && Object.hasOwn(PAYWORD_REFUSALS, value);
