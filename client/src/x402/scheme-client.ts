/**
 * The `micromint` and `payword` schemes as x402 client plugins: objects of the shape of
 * `@x402/core`'s `SchemeNetworkClient`, for `new x402Client().register(network, scheme)`, so that
 * `@x402/fetch`'s `wrapFetchWithPayment` (or `@x402/axios`) pays our sites from the same wallet,
 * with the same promises as `wrapFetch`: the payment is stored (coins spent, links reserved) in one
 * transaction before it is handed to the x402 client, a payment still pending for the URL is handed
 * out again, the wallet's caps apply, and the answer (through the scheme's `onPaymentResponse`
 * hook) settles it. A vendor that did not know a chain makes the hook ask the transport for one
 * retry, which carries the same payment with its commitment.
 *
 * What an x402 client does not tell a scheme, and how it is filled in:
 * - the URL: the challenge's `resource.url`, taken from the `onBeforePaymentCreation` hook, whose
 *   context carries the very requirements object then passed to `createPaymentPayload`;
 * - the method: `GET` unless the plugin is made with another (a link's MAC binds it);
 * - the status of the answer: a receipt or a 402 settles the payment; anything else leaves it
 *   pending (sent again the next time), as for a 5xx.
 * The stock client encodes the header itself: the payload (coins, or link and MAC) is the stored
 * one, which is what a vendor's replay check compares.
 * @module
 */
import {
  decodePaymentPayload,
  encodeHeader,
  isReleaseReason,
  MICROMINT_SCHEME,
  PAYWORD_SCHEME,
  paywordAnswer,
  refusedCoins,
  releasedCoins,
  X402_VERSION,
  type PaymentRequired,
  type PaymentRequirements,
  type SettlementResponse,
} from '@micromint/shared';
import { WalletError } from '../errors.ts';
import { challengeOf } from '../pay/challenge.ts';
import { preparePayment, settlePayment } from '../pay/payer.ts';
import { stripFragment } from '../pay/wrap-fetch.ts';
import { validateCaps, type Caps } from '../wallet/caps.ts';
import type { Outcome } from '../wallet/outcome.ts';
import { letGoPayment, markSent, paymentById } from '../wallet/payments.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** An `accepts` entry as an x402 client holds it. */
export interface X402Requirements {
  scheme: string;
  network: string;
  asset: string;
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
}

/** A 402's `PaymentRequired` as an x402 client holds it. */
export interface X402PaymentRequired {
  x402Version: number;
  error?: string;
  resource: { url: string; description?: string; mimeType?: string };
  accepts: X402Requirements[];
  extensions?: Record<string, unknown>;
}

/** What an x402 client hands a scheme's `onPaymentResponse` hook (the fields used here). */
export interface X402PaymentResponse {
  paymentPayload: { payload: Record<string, unknown> };
  settleResponse?: {
    success: boolean;
    errorReason?: string;
    transaction?: string;
    network?: string;
    payer?: string;
    extensions?: Record<string, unknown>;
  };
  paymentRequired?: { error?: string; extensions?: Record<string, unknown> };
}

/** The shape of `@x402/core`'s `SchemeNetworkClient`, as this package implements it. */
export interface MicroMintSchemeClient {
  readonly scheme: string;
  readonly schemeHooks: {
    onBeforePaymentCreation(ctx: { paymentRequired: X402PaymentRequired; selectedRequirements: X402Requirements }): Promise<void>;
    onPaymentResponse(ctx: X402PaymentResponse): Promise<void | { recovered: true }>;
  };
  /** Mills are US dollars with 3 decimals: x402's USD spend controls apply to both schemes. */
  findDefaultAsset(asset: string, network: string): { asset: string; decimals: number; symbol: string } | undefined;
  createPaymentPayload(
    x402Version: number,
    requirements: X402Requirements,
  ): Promise<{ x402Version: number; payload: Record<string, unknown> }>;
}

/** Options of {@link micromintScheme} and {@link paywordScheme}. */
export interface SchemeClientOptions {
  /** Caps in mills (default: the wallet's). */
  caps?: Caps;
  /** The method of the requests the client pays (default `GET`): a link's MAC binds it. */
  method?: string;
  now?: () => number;
}

/** The assets of the two schemes: coins and mills, both worth $0.001. */
const ASSETS: Readonly<Record<string, string>> = { [MICROMINT_SCHEME]: 'micromint-coin', [PAYWORD_SCHEME]: 'mill' };

/** The outcome of an answer as an x402 client read it. */
function outcomeOf(ctx: X402PaymentResponse): Outcome {
  const r = ctx.settleResponse;
  if (r) {
    const receipt = encodeHeader({ ...r, transaction: r.transaction ?? '' } satisfies Partial<SettlementResponse>);
    const payword = paywordAnswer(r.extensions);
    const pw = payword ? { payword } : {};
    if (r.success) return { kind: 'paid', receipt, ...(r.transaction ? { transaction: r.transaction } : {}), ...pw };
    if (isReleaseReason(r.errorReason))
      return { kind: 'released', reason: r.errorReason, released: releasedCoins(r.extensions), receipt, ...pw };
    return { kind: 'refused', error: r.errorReason ?? 'refused', refused: refusedCoins(r.extensions), receipt, ...pw };
  }
  if (ctx.paymentRequired) {
    const payword = paywordAnswer(ctx.paymentRequired.extensions);
    return {
      kind: 'refused',
      error: ctx.paymentRequired.error ?? 'payment-required',
      refused: refusedCoins(ctx.paymentRequired.extensions),
      ...(payword ? { payword } : {}),
    };
  }
  return { kind: 'pending', why: 'no receipt and no 402 in the answer' };
}

function schemeClient(scheme: string, wallet: Wallet, o: SchemeClientOptions): MicroMintSchemeClient {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  const caps = o.caps ? validateCaps(o.caps) : undefined;
  const method = (o.method ?? 'GET').toUpperCase();
  const now = o.now ?? Date.now;
  const challenges = new WeakMap<X402Requirements, X402PaymentRequired>();
  const payments = new WeakMap<object, string>();
  return {
    scheme,
    schemeHooks: {
      async onBeforePaymentCreation(ctx) {
        challenges.set(ctx.selectedRequirements, ctx.paymentRequired);
      },
      async onPaymentResponse(ctx) {
        const id = payments.get(ctx.paymentPayload.payload);
        const payment = id ? paymentById(wallet.db, id) : undefined;
        if (!payment) return;
        const { settled } = settlePayment(wallet, payment, outcomeOf(ctx), now());
        if (settled !== 'resend') return;
        letGoPayment(wallet.db, payment.id);
        return { recovered: true };
      },
    },
    findDefaultAsset: (asset) => (asset === ASSETS[scheme] ? { asset, decimals: 3, symbol: 'USD' } : undefined),
    async createPaymentPayload(x402Version, requirements) {
      const required = challenges.get(requirements);
      if (!required)
        throw new WalletError(
          'unpayable',
          `the ${scheme} scheme needs its onBeforePaymentCreation hook: register it with x402Client.register()`,
        );
      const url = stripFragment(required.resource.url);
      if (required.x402Version !== X402_VERSION)
        throw new WalletError('unpayable', `x402 version ${required.x402Version} is not ${X402_VERSION}`);
      const challenge = challengeOf({ ...(required as PaymentRequired), accepts: [requirements as PaymentRequirements] }, new URL(url));
      const { payment } = await preparePayment(wallet, challenge, { url, method, headerOnly: true }, caps ?? wallet.caps, now());
      const { payload } = decodePaymentPayload(payment.header);
      payments.set(payload, payment.id);
      // Counted as sent before the transport sends it: a payment never counted is one no vendor saw.
      markSent(wallet.db, payment.id, now());
      return { x402Version, payload };
    },
  };
}

/**
 * The `micromint` scheme for an x402 client, paying coins from `wallet`.
 * @example
 * const client = new x402Client().register(micromintNetwork(brokerUrl), micromintScheme(wallet));
 * const paidFetch = wrapFetchWithPayment(fetch, client);
 */
export const micromintScheme = (wallet: Wallet, options: SchemeClientOptions = {}): MicroMintSchemeClient =>
  schemeClient(MICROMINT_SCHEME, wallet, options);

/**
 * The `payword` scheme for an x402 client, paying links of the wallet's chains (opening one when
 * the wallet's key is connected at the broker).
 * @example
 * client.register(micromintNetwork(brokerUrl), paywordScheme(wallet));
 */
export const paywordScheme = (wallet: Wallet, options: SchemeClientOptions = {}): MicroMintSchemeClient =>
  schemeClient(PAYWORD_SCHEME, wallet, options);
