/**
 * Paying with links: reserving the next range of a chain and writing the payment that reveals it,
 * inside the caller's IMMEDIATE transaction. A revealed link gives away every link below it, so no
 * index is ever revealed for two requests: the transaction that writes the payment (with its exact
 * `PAYMENT-SIGNATURE`) is the one that moves the chain's next index past it. After a crash either
 * both are there (the payment is sent again byte for byte) or neither is (nothing was sent).
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  encodeHeader,
  formatMoney,
  linkPayload,
  linkRangeText,
  linksLeft,
  MAX_MAC_URL,
  MAX_PAYMENT_HEADER_BYTES,
  PAYWORD_SCHEME,
  reserveLinks,
  usableChain,
  utf8,
  type ChainWant,
  type PaymentRequirements,
} from '@micromint/shared';
import { InsufficientFundsError, UnpayableError } from '../errors.ts';
import { chainsOfVendor } from './chains.ts';
import type { WalletDb } from './db.ts';
import { addHistory } from './history.ts';
import { insertPayment, type PaymentRecord } from './payments.ts';

/** What to pay with links: the vendor's payword terms for one request. */
export interface LinkOrder {
  url: string;
  /** The request's method, upper case: the MAC binds it. */
  method: string;
  /** The challenge's `resource.url`: the MAC binds it, byte for byte. */
  resourceUrl: string;
  want: ChainWant;
  requirement: PaymentRequirements;
  now: number;
}

/**
 * Reserves `want.units` links of the best open chain and writes the pending payment (inside the
 * caller's transaction).
 * @throws InsufficientFundsError when no open chain fits; UnpayableError when the method or URL is
 *   beyond what a MAC binds. Nothing is written then.
 */
export function payLinkTx(db: WalletDb, o: LinkOrder): PaymentRecord {
  if (!/^[A-Z]{1,32}$/.test(o.method)) throw new UnpayableError(`a link cannot be bound to the method ${JSON.stringify(o.method)}`);
  if (utf8(o.resourceUrl).length > MAX_MAC_URL) throw new UnpayableError(`a link binds URLs of at most ${MAX_MAC_URL} bytes`);
  const chain = usableChain(chainsOfVendor(db, o.want.vendorId), o.want, o.now);
  const price = o.want.units * o.want.value;
  if (!chain)
    throw new InsufficientFundsError(price, 0, `no open chain holds ${o.want.units} links of ${o.want.value} mills for ${o.want.vendorId}`);
  const { index, next, status } = reserveLinks(chain, o.want.units);
  const sendCommitment = !chain.sentCommitment;
  const header = encodeHeader(
    linkPayload(chain, {
      index,
      units: o.want.units,
      method: o.method,
      resourceUrl: o.resourceUrl,
      requirement: o.requirement,
      withCommitment: sendCommitment,
    }),
  );
  if (header.length > MAX_PAYMENT_HEADER_BYTES) throw new UnpayableError('the payment would be longer than a vendor takes in a header');
  const payment: PaymentRecord = {
    id: randomUUID(),
    url: o.url,
    method: o.method,
    vendorId: o.want.vendorId,
    host: new URL(o.url).host,
    broker: chain.broker,
    scheme: PAYWORD_SCHEME,
    epoch: '',
    price,
    spent: price,
    coinIds: [],
    link: { chainId: chain.id, index, units: o.want.units, withCommitment: sendCommitment, resentWithCommitment: false },
    header,
    state: 'pending',
    reasons: [],
    attempts: 0,
    createdAt: o.now,
    updatedAt: o.now,
  };
  const moved = db
    .prepare(`UPDATE chains SET next = ?, status = ?, updated_at = ? WHERE id = ? AND next = ? AND status = 'open'`)
    .run(next, status, o.now, chain.id, chain.next);
  if (moved.changes !== 1) throw new Error(`chain ${chain.id} moved inside the transaction`);
  insertPayment(db, payment);
  addHistory(db, {
    at: o.now,
    kind: 'spend',
    mills: -price,
    detail: `${formatMoney(price)}: ${linkRangeText({ chainId: chain.id, index, units: o.want.units })} for ${o.url} (${linksLeft({ length: chain.length, next })} left)`,
    ref: payment.id,
  });
  return payment;
}
