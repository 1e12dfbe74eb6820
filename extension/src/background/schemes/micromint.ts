/**
 * The `micromint` scheme: vendor-specific coins from superbin sets. Its prices are coins, and a
 * coin is a mill, so its quotes are mills as they stand. Settling is by coin id: the coins the
 * vendor refused as already spent stay spent, the ones it gave back return to the balance.
 * @module
 */
import { MICROMINT_SCHEME, quoteMicromint } from '@micromint/shared';
import { balance, fundsFor, markPaid, markRefused, markReleased, spend } from '../../wallet/index.ts';
import type { SchemeHandler } from './types.ts';

/** The micromint scheme handler. */
export const micromintScheme: SchemeHandler = {
  scheme: MICROMINT_SCHEME,
  // The wallets' shared reading of an offer; a micromint offer's network is left unchecked (the spec's SHOULD, not MUST).
  quote: (requirement) => quoteMicromint(requirement),
  // The coin paths keep their own clock (Date.now), as before the seam: epochs expire by the real time.
  funds: (ctx, q) => fundsFor(ctx.db, { epoch: q.epoch!, broker: q.broker, vendorId: q.vendorId }),
  pay: (ctx, t) =>
    spend(ctx.db, {
      url: t.url,
      resourceUrl: t.resourceUrl,
      vendorId: t.quote.vendorId,
      broker: t.quote.broker,
      epoch: t.quote.epoch!,
      price: t.quote.price,
      requirement: t.requirement,
      ...(t.budget ? { budget: t.budget } : {}),
    }),
  async settle(ctx, payment, outcome) {
    if (outcome.kind === 'paid') await markPaid(ctx.db, payment.id, outcome.transaction ? { transaction: outcome.transaction } : {});
    else if (outcome.kind === 'refused') await markRefused(ctx.db, payment.id, { error: outcome.error, refused: outcome.refused });
    else await markReleased(ctx.db, payment.id, { reason: outcome.reason, released: outcome.released });
  },
  balance: (ctx) => balance(ctx.db),
};
