/**
 * The schemes a vendor takes, built in the site's order of preference (`schemes` option): the
 * order of `accepts` in every 402. A new scheme is one module beside these and one line here.
 * @module
 */
import { MICROMINT_SCHEME } from '@micromint/shared';
import type { EpochSource } from '../epochs.ts';
import { assertPaywordStore } from '../payword-store.ts';
import { MicromintScheme } from './micromint.ts';
import { PaywordScheme } from './payword.ts';
import { PaywordKeys } from './payword-keys.ts';
import type { SchemeDeps, VendorScheme } from './scheme.ts';

/** A scheme module, with what it must stop when the middleware closes. */
export type SchemeModule = VendorScheme & { close?(): void };

/** Builds the configured scheme modules, in order, keyed by name. */
export function createSchemes(deps: SchemeDeps & { epochs: EpochSource }): Map<string, SchemeModule> {
  const { cfg } = deps;
  const out = new Map<string, SchemeModule>();
  for (const name of cfg.schemes) {
    if (name === MICROMINT_SCHEME) out.set(name, new MicromintScheme(deps) as SchemeModule);
    else {
      assertPaywordStore(deps.store);
      const keys = new PaywordKeys({
        store: deps.store,
        guard: deps.guard,
        broker: cfg.broker,
        vendorId: cfg.vendorId,
        apiKey: cfg.apiKey!,
        linkValue: cfg.linkValue,
        logger: cfg.logger,
        refreshMs: cfg.epochRefreshMs,
      });
      out.set(name, new PaywordScheme({ ...deps, keys }) as SchemeModule);
    }
  }
  return out;
}

export type { Offer, Paid, PaymentFailure, Recorded, Refused, SaleTerms, SchemeCheck, SchemeDeps, VendorScheme } from './scheme.ts';
export {
  checkMicromintPayment,
  coinFailure,
  micromintCarried,
  MicromintScheme,
  normalizeUrl,
  type MicromintValid,
  type RefusedCoinInfo,
  type RetryCandidate,
} from './micromint.ts';
export { PaywordScheme, type PaywordRetry, type PaywordValid } from './payword.ts';
export { KEY_NAMES, keptBrokerTerms, PaywordKeys, readBrokerTerms, type BrokerPaywordTerms } from './payword-keys.ts';
