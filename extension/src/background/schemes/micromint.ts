/**
 * The `micromint` scheme: vendor-specific coins from superbin sets.
 * @module
 */
import { aint, MAX_COINS_PER_PAYMENT, MICROMINT_SCHEME, readMicromintRequirements } from '@micromint/shared';
import { fundsFor, spend } from '../../wallet/index.ts';
import type { SchemeHandler } from './types.ts';

/** The micromint scheme handler. */
export const micromintScheme: SchemeHandler = {
  scheme: MICROMINT_SCHEME,
  quote(requirement) {
    const r = readMicromintRequirements(requirement);
    aint(r.price, 1, MAX_COINS_PER_PAYMENT, 'price');
    if (r.vendorId !== requirement.payTo) throw new RangeError('extra.vendorId differs from payTo');
    return { price: r.price, vendorId: r.vendorId, broker: r.broker, epoch: r.epoch };
  },
  funds: (db, q) => fundsFor(db, { epoch: q.epoch, broker: q.broker, vendorId: q.vendorId }),
  pay: (db, t) =>
    spend(db, {
      url: t.url,
      resourceUrl: t.resourceUrl,
      vendorId: t.quote.vendorId,
      broker: t.quote.broker,
      epoch: t.quote.epoch,
      price: t.quote.price,
      requirement: t.requirement,
    }),
};
