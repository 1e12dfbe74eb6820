/**
 * Test fixtures for chains: a vendor's X25519 key and its payword offer, a small broker answering
 * `GET /api/payword` and `POST /api/payword/chains` from shared's functions (docs/protocol.md
 * 12.5) behind a fetch double, with switches to misbehave, and checks a vendor would make of a
 * payment (the link against the root, the MAC under the vendor's key).
 */
import {
  chainIdOf,
  chainMills,
  decodeCommitment,
  decodePaymentPayload,
  fromBase64,
  fromHex,
  macKey,
  micromintNetwork,
  micromintRequirements,
  newAgreementKey,
  newSigningKey,
  paywordRequirements,
  readPaywordPayload,
  signAuthorization,
  toBase64,
  verifyAuthorization,
  verifyLink,
  verifyPaymentMac,
  verifyRequest,
  type Commitment,
  type PaywordPayment,
} from '@micromint/shared';
import { ChainOpener } from '../../src/background/chain-opener.ts';
import { PaywordBrokerClient, type BrokerFetch } from '../../src/background/payword-broker.ts';
import { micromintScheme } from '../../src/background/schemes/micromint.ts';
import { paywordScheme } from '../../src/background/schemes/payword.ts';
import type { SchemeRegistry } from '../../src/background/schemes/registry.ts';
import { BROKER, USER, VENDOR } from './mint.ts';

/** The vendor's X25519 key pair, as registered at the broker. */
export const VENDOR_KEY = newAgreementKey();

/** The payword entry a vendor at `vendorId` offers for `price` mills at `linkValue` mills a link. */
export const paywordOffer = (price: number, o: { linkValue?: number; vendorId?: string; vendorKey?: Uint8Array; broker?: string } = {}) =>
  paywordRequirements({
    price,
    vendorId: o.vendorId ?? VENDOR,
    broker: o.broker ?? BROKER,
    vendorKey: o.vendorKey ?? VENDOR_KEY.publicKey,
    linkValue: o.linkValue ?? 1,
  });

/** The micromint entry beside it. */
export const coinOffer = (price: number, epoch: string, vendorId = VENDOR) =>
  micromintRequirements({ price, vendorId, broker: BROKER, epoch });

/** How the fake broker answers `POST /api/payword/chains`. */
export type ChainsMode = 'ok' | 'lose-answer' | 'error-500' | 'bad-authorization';

/**
 * A broker's chain API in memory: terms and key, connected wallet keys per user, balances, the
 * chains it holds. A chain authorized twice is held once (the broker's step 6).
 */
export function fakeBroker(o: { broker?: string; balance?: number; maxLength?: number; maxExpirySeconds?: number } = {}) {
  const broker = o.broker ?? BROKER;
  const key = newSigningKey();
  const state = {
    mode: 'ok' as ChainsMode,
    balances: new Map<string, number>([[USER, o.balance ?? 10_000]]),
    walletKeys: new Map<string, string[]>(),
    vendorKeys: new Map<string, string>([[VENDOR, toBase64(VENDOR_KEY.publicKey)]]),
    chains: new Map<string, { commitment: Commitment; authorization: Uint8Array }>(),
    calls: [] as string[],
    maxLength: o.maxLength ?? 10_000,
    maxExpirySeconds: o.maxExpirySeconds ?? 2_592_000,
  };
  const answer = (status: number, body: unknown) => ({ status, text: async () => JSON.stringify(body) });
  const fail = (status: number, error: string, extra: Record<string, unknown> = {}) => answer(status, { error, message: error, ...extra });

  const fetchFn: BrokerFetch = async (url, init) => {
    const path = new URL(url).pathname;
    state.calls.push(`${init.method} ${path}`);
    if (init.method === 'GET' && path === '/api/payword')
      return answer(200, {
        broker,
        network: micromintNetwork(broker),
        brokerKey: toBase64(key.publicKey),
        maxLength: state.maxLength,
        maxValue: 1_000_000,
        maxExpirySeconds: state.maxExpirySeconds,
        clearGraceSeconds: 86_400,
      });
    if (init.method !== 'POST' || path !== '/api/payword/chains') return fail(404, 'not_found');
    if (state.mode === 'error-500') return fail(500, 'internal');
    const body = JSON.parse(String(init.body)) as { commitment: string; walletKey: string; signature: string };
    const bytes = fromBase64(body.commitment);
    let c: Commitment;
    try {
      c = decodeCommitment(bytes);
    } catch {
      return fail(400, 'bad_commitment');
    }
    if (c.broker.replace(/\/+$/, '') !== broker) return fail(400, 'wrong_broker');
    if (!(state.walletKeys.get(c.userId) ?? []).includes(body.walletKey)) return fail(403, 'wallet_not_connected');
    if (!verifyRequest(fromBase64(body.walletKey), fromBase64(body.signature), bytes)) return fail(403, 'bad_signature');
    if (state.vendorKeys.get(c.vendorId) !== toBase64(c.vendorKey)) return fail(409, 'vendor_key_mismatch');
    if (c.length > state.maxLength) return fail(400, 'bad_commitment');
    const now = Math.floor(Date.now() / 1000);
    if (!(now < c.expiresAt) || c.expiresAt > now + state.maxExpirySeconds) return fail(400, 'bad_expiry');
    const chainId = chainIdOf(bytes);
    let held = state.chains.get(chainId);
    const balance = state.balances.get(c.userId) ?? 0;
    if (!held) {
      if (balance < chainMills(c)) return fail(409, 'insufficient_funds', { balanceMills: balance, neededMills: chainMills(c) });
      held = { commitment: c, authorization: signAuthorization(key.secretKey, bytes) };
      state.chains.set(chainId, held);
      state.balances.set(c.userId, balance - chainMills(c));
    }
    if (state.mode === 'lose-answer') throw new TypeError('fetch failed');
    const authorization = state.mode === 'bad-authorization' ? signAuthorization(newSigningKey().secretKey, bytes) : held.authorization;
    return answer(201, {
      chainId,
      authorization: toBase64(authorization),
      heldMills: chainMills(c),
      balanceMills: state.balances.get(c.userId),
    });
  };

  return { broker, key, state, fetch: fetchFn, connect: (walletKey: string, userId = USER) => state.walletKeys.set(userId, [walletKey]) };
}

/** Coins and chains, with the chains opened through `fetchFn` (a fake broker, or the real one). */
export function schemesOver(fetchFn?: BrokerFetch): SchemeRegistry {
  const payword = paywordScheme(new ChainOpener(new PaywordBrokerClient(fetchFn)));
  return new Map([
    [micromintScheme.scheme, micromintScheme],
    [payword.scheme, payword],
  ]);
}

/** What a vendor checks of a payword PAYMENT-SIGNATURE, with shared's functions. */
export interface VendorView {
  pay: PaywordPayment;
  commitment: Commitment;
  /** The link hashes down to the committed root. */
  linkOk: boolean;
  /** The MAC verifies under the key the vendor agrees from its secret and the chain's key. */
  macOk: boolean;
  /** The broker's authorization verifies (when `brokerKey` is given and the payment carries one). */
  authorizationOk?: boolean;
}

/**
 * Checks a payment as the vendor would: `commitment` is the one the payment carries, else the one
 * given (a vendor that knows the chain).
 */
export function vendorCheck(
  header: string,
  o: { method?: string; url?: string; commitment?: Uint8Array; brokerKey?: Uint8Array } = {},
): VendorView {
  const payload = decodePaymentPayload(header);
  const pay = readPaywordPayload(payload);
  const bytes = pay.commitment ?? o.commitment;
  if (!bytes) throw new Error('the payment carries no commitment and none was given');
  const commitment = decodeCommitment(bytes);
  const key = macKey(VENDOR_KEY.secretKey, commitment.walletKey, fromHex(pay.chainId));
  const url = o.url ?? payload.resource?.url ?? '';
  return {
    pay,
    commitment,
    linkOk: verifyLink(commitment.salt, pay.link, pay.index, { index: 0, link: commitment.root }),
    macOk: verifyPaymentMac(
      key,
      { chainId: pay.chainIdBytes, index: pay.index, units: pay.units, link: pay.link, method: o.method ?? 'GET', url },
      pay.mac,
    ),
    ...(o.brokerKey && pay.authorization ? { authorizationOk: verifyAuthorization(o.brokerKey, pay.authorization, bytes) } : {}),
  };
}
