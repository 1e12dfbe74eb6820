/**
 * The `payword` scheme (docs/protocol.md 12): a site the reader comes back to is paid with the
 * links of a hash chain the broker authorized once, one payment of `units` links per page or call,
 * each bound to its request by a MAC. All chain math is shared's; the money paths are the
 * wallet's transactions (`payLink`, `settleLinkPayment`); opening a chain is the {@link ChainOpener}.
 * @module
 */
import { PAYWORD_SCHEME, quotePayword } from '@micromint/shared';
import {
  brokerRecord,
  chainHeldMills,
  chainsOfVendor,
  heldMillsAcrossChains,
  linksLeft,
  payLink,
  settleLinkPayment,
  usableChain,
  type ChainWant,
  type LinkAnswer,
} from '../../wallet/index.ts';
import { ChainOpener } from '../chain-opener.ts';
import type { Quote, SchemeHandler } from './types.ts';

/** What a chain must offer to pay a quote. */
export function chainWant(q: Quote): ChainWant {
  if (!q.link) throw new TypeError('not a payword quote');
  return { broker: q.broker, vendorId: q.vendorId, vendorKey: q.link.vendorKey, value: q.link.value, units: q.link.units };
}

/**
 * The payword scheme handler.
 * @param opener - opens chains (one per worker: it keeps openings for a vendor in turn); tests pass one over a test broker
 * @example
 * const schemes = new Map([[MICROMINT_SCHEME, micromintScheme], [PAYWORD_SCHEME, paywordScheme()]]);
 */
export function paywordScheme(opener: ChainOpener = new ChainOpener()): SchemeHandler {
  return {
    scheme: PAYWORD_SCHEME,
    // The wallets' shared reading of an offer: its shape, that it pays its `payTo` on the broker its `network` names.
    quote: quotePayword,

    async funds(ctx, q) {
      const want = chainWant(q);
      // Three reads, sent together.
      const [chains, broker, heldMills] = await Promise.all([
        chainsOfVendor(ctx.db, q.vendorId),
        brokerRecord(ctx.db, q.broker),
        heldMillsAcrossChains(ctx.db, ctx.now),
      ]);
      const chain = usableChain(chains, want, ctx.now);
      const held = chain ? linksLeft(chain) * chain.value : 0;
      return {
        held,
        makeable: held,
        chain: {
          connected: broker?.connected === true && broker.userId !== undefined,
          heldMills,
          ...(broker?.info ? { maxLength: broker.info.maxLength } : {}),
        },
      };
    },

    async pay(ctx, t) {
      const want = chainWant(t.quote);
      if (t.openChain) await opener.ensure(ctx, { ...want, length: t.openChain.length });
      return payLink(ctx.db, {
        url: t.url,
        resourceUrl: t.resourceUrl,
        method: t.method,
        want,
        requirement: t.requirement,
        now: ctx.now,
        ...(t.budget ? { budget: t.budget } : {}),
      });
    },

    async settle(ctx, payment, outcome) {
      let answer: LinkAnswer;
      if (outcome.kind === 'paid') answer = { kind: 'paid', ...(outcome.transaction ? { transaction: outcome.transaction } : {}) };
      else if (outcome.kind === 'released') answer = { kind: 'released', reason: outcome.reason };
      else
        answer = {
          kind: 'refused',
          error: outcome.error,
          ...(outcome.payword?.chainId ? { chainId: outcome.payword.chainId } : {}),
          ...(outcome.payword?.highestIndex !== undefined ? { highestIndex: outcome.payword.highestIndex } : {}),
        };
      const { settled } = await settleLinkPayment(ctx.db, payment.id, answer, ctx.now);
      if (settled === 'resend')
        ctx.log(`payment ${payment.id}: the vendor did not know the chain; the same payment goes again with its commitment`);
    },

    async balance(ctx) {
      const open = await ctx.db.getAllFromIndex('chains', 'by-status', 'open');
      return open.reduce((n, c) => n + chainHeldMills(c, ctx.now), 0);
    },
  };
}
