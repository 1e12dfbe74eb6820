/**
 * A PayWord wallet for tests, built from shared's functions as the extension does: it connects a
 * wallet key at the test broker, opens chains there (`POST /api/payword/chains`), and builds
 * payment headers revealing links with their MAC. Its chains can also be made without the broker,
 * signed by any key, to forge what a wallet must not be able to.
 */
import { randomBytes } from 'node:crypto';
import {
  buildChain,
  chainIdOf,
  decodePaymentRequired,
  encodeCommitment,
  encodeHeader,
  fromBase64,
  fromHex,
  linkAt,
  macKey,
  newAgreementKey,
  newSigningKey,
  PAYWORD_SCHEME,
  paymentMac,
  paywordPayload,
  readPaywordRequirements,
  signAuthorization,
  signRequest,
  toBase64,
  X402_VERSION,
  type BuiltChain,
  type Commitment,
  type PaymentRequirements,
} from '@micromint/shared';
import type { TestBroker } from './broker.ts';

/** The payword offer of a 402 (throws when there is none). */
export function paywordOffer(res: Response): PaymentRequirements {
  const offer = decodePaymentRequired(res.headers.get('payment-required')).accepts.find((a) => a.scheme === PAYWORD_SCHEME);
  if (!offer) throw new Error('the challenge offers no payword');
  return offer;
}

/** Asks `url` without payment and returns its payword offer. */
export async function offerOf(url: string): Promise<PaymentRequirements> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  await res.body?.cancel();
  if (res.status !== 402) throw new Error(`${url} answered ${res.status}, not 402`);
  return paywordOffer(res);
}

/** What a payment header may be made to say (for forgeries); by default the truth. */
export interface PayOptions {
  /** Links to pay (default 1). */
  units?: number;
  method?: string;
  /** Send the commitment and authorization (default: on the first payment of the chain). */
  withCommitment?: boolean;
  /** Reveal at this index instead of the next one (the range ends there). */
  index?: number;
  /** Reveal these bytes as the link. */
  link?: Uint8Array;
  /** MAC over another URL (a link stolen from one request and sent for another). */
  macUrl?: string;
  /** Replace the MAC. */
  mac?: Uint8Array;
  /** The `accepted` entry (default: the offer the chain was opened for). */
  accepted?: PaymentRequirements;
  /** Do not move the chain's next index (a retry of the same range). */
  keepIndex?: boolean;
}

/** A chain the test wallet holds: its secrets, commitment and authorization, and the next index. */
export class TestChain {
  /** The highest index revealed so far. */
  used = 0;
  private sentCommitment = false;

  constructor(
    readonly salt: Uint8Array,
    readonly built: BuiltChain,
    readonly chainKey: { secretKey: Uint8Array; publicKey: Uint8Array },
    readonly commitment: Commitment,
    readonly bytes: Uint8Array,
    readonly authorization: Uint8Array,
    readonly offer: PaymentRequirements,
  ) {}

  get chainId(): string {
    return chainIdOf(this.bytes);
  }

  /** w_i. */
  link(i: number): Uint8Array {
    return linkAt(this.salt, this.built.checkpoints, i);
  }

  /** The MAC key both sides derive. */
  macKey(): Uint8Array {
    return macKey(this.chainKey.secretKey, this.commitment.vendorKey, fromHex(this.chainId));
  }

  /** The `PAYMENT-SIGNATURE` paying `url` with the next `units` links (or as `o` says). */
  pay(url: string, o: PayOptions = {}): { header: string; index: number; units: number } {
    const units = o.units ?? 1;
    const index = o.index ?? this.used + units;
    const link = o.link ?? this.link(index);
    const method = (o.method ?? 'GET').toUpperCase();
    const chainId = fromHex(this.chainId);
    const mac = o.mac ?? paymentMac(this.macKey(), { chainId, index, units, link, method, url: o.macUrl ?? url });
    const withCommitment = o.withCommitment ?? !this.sentCommitment;
    if (withCommitment) this.sentCommitment = true;
    const payload = paywordPayload({
      chainId: this.chainId,
      index,
      units,
      link,
      mac,
      ...(withCommitment ? { commitment: this.bytes, authorization: this.authorization } : {}),
    });
    if (!o.keepIndex) this.used = Math.max(this.used, index);
    const accepted = o.accepted ?? this.offer;
    return { header: encodeHeader({ x402Version: X402_VERSION, resource: { url }, accepted, payload: { ...payload } }), index, units };
  }
}

/** Terms of a chain to make; what is not given follows the offer. */
export interface ChainTerms {
  length?: number;
  /** Unix seconds (default: a day from now). */
  expiresAt?: number;
  value?: number;
  broker?: string;
  vendorId?: string;
  vendorKey?: Uint8Array;
  userId?: string;
}

/** Builds a chain for `offer` and its commitment (no broker involved). */
export function makeChain(
  offer: PaymentRequirements,
  userId: string,
  t: ChainTerms = {},
): {
  salt: Uint8Array;
  built: BuiltChain;
  chainKey: { secretKey: Uint8Array; publicKey: Uint8Array };
  commitment: Commitment;
  bytes: Uint8Array;
} {
  const extra = readPaywordRequirements(offer);
  const length = t.length ?? 64;
  const salt = new Uint8Array(randomBytes(16));
  const built = buildChain(new Uint8Array(randomBytes(32)), salt, length);
  const chainKey = newAgreementKey();
  const commitment: Commitment = {
    broker: t.broker ?? extra.broker,
    userId: t.userId ?? userId,
    vendorId: t.vendorId ?? extra.vendorId,
    vendorKey: t.vendorKey ?? extra.vendorKeyBytes,
    walletKey: chainKey.publicKey,
    root: built.root,
    salt,
    length,
    value: t.value ?? extra.linkValue,
    expiresAt: t.expiresAt ?? Math.floor(Date.now() / 1000) + 86_400,
  };
  return { salt, built, chainKey, commitment, bytes: encodeCommitment(commitment) };
}

/** A chain signed by `brokerSecret` directly (a forged or foreign authorization, or a broker-side test). */
export function signedChain(offer: PaymentRequirements, userId: string, brokerSecret: Uint8Array, t: ChainTerms = {}): TestChain {
  const m = makeChain(offer, userId, t);
  return new TestChain(m.salt, m.built, m.chainKey, m.commitment, m.bytes, signAuthorization(brokerSecret, m.bytes), offer);
}

/** A wallet of one user at the test broker: its key connected to the account, its balance funded. */
export class ChainWallet {
  readonly signing = newSigningKey();

  constructor(
    readonly broker: TestBroker,
    readonly userId: string,
    balanceMills = 1_000_000,
  ) {
    broker.payword.walletKeys.set(userId, [...(broker.payword.walletKeys.get(userId) ?? []), toBase64(this.signing.publicKey)]);
    broker.payword.balances.set(userId, (broker.payword.balances.get(userId) ?? 0) + balanceMills);
  }

  /** Opens a chain for the vendor's `offer` at the broker (the iKP authorization: the broker holds its value). */
  async open(offer: PaymentRequirements, t: ChainTerms = {}): Promise<TestChain> {
    const m = makeChain(offer, this.userId, t);
    const res = await fetch(`${this.broker.url}/api/payword/chains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        commitment: toBase64(m.bytes),
        walletKey: toBase64(this.signing.publicKey),
        signature: toBase64(signRequest(this.signing.secretKey, m.bytes)),
      }),
    });
    const body = (await res.json()) as { authorization?: string; error?: string };
    if (res.status !== 201 || !body.authorization) throw new Error(`the broker did not authorize the chain: ${res.status} ${body.error}`);
    return new TestChain(m.salt, m.built, m.chainKey, m.commitment, m.bytes, fromBase64(body.authorization), offer);
  }
}
