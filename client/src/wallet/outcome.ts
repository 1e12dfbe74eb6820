/**
 * What a vendor's answer to a payment means for the wallet (docs/protocol.md 9.1, Reading the
 * answer), read off the response by `pay/answer.ts` and applied by the scheme's settle function.
 * @module
 */
import type { PaywordAnswer } from '@micromint/shared';
import type { CoinRefusal } from './payments.ts';

/** The vendor's verdict on a payment. */
export type Outcome =
  /** A receipt with `success: true`: the vendor took the payment. */
  | { kind: 'paid'; transaction?: string; receipt: string; payword?: PaywordAnswer }
  /** A 402, a 400, or a failed receipt on a 2xx: nothing served; coins refused as `already-spent` stay spent. */
  | { kind: 'refused'; error: string; refused: CoinRefusal[]; receipt?: string; payword?: PaywordAnswer }
  /** Served without taking the payment (`no_payment_required`, `not_served`): the coins named come back. */
  | { kind: 'released'; reason: string; released: string[]; receipt: string; payword?: PaywordAnswer }
  /** No verdict (a 5xx, a 2xx without a receipt, no answer): the payment stays pending, to be sent again as is. */
  | { kind: 'pending'; why: string };

/** What settling did: `resend` means the same payment goes out once more (a chain the vendor did not know). */
export type Settled = 'paid' | 'refused' | 'released' | 'pending' | 'resend' | 'unchanged';
