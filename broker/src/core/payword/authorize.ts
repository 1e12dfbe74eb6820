/**
 * Authorizing a chain (`POST /api/payword/chains`), the iKP way: the broker signs the wallet's commitment
 * once and holds the chain's whole value, n * value, from the user's prepaid balance, so a vendor is sure
 * to be paid for every link it verified and nobody carries credit risk.
 *
 * The checks run in the contract's order and the first failure is the answer; nothing is held unless all
 * pass. They are split in two so that the HTTP layer can count a request against its user only once the
 * user is proven (a signature by a connected wallet): otherwise anyone could spend a victim's rate budget
 * with junk commitments naming them.
 * @module
 */
import {
  CHAIN_ID_BYTES,
  ED25519_KEY_BYTES,
  MAX_COMMITMENT_BYTES,
  MAX_LINK_VALUE,
  SIGNATURE_BYTES,
  aobject,
  chainIdOf,
  chainMills,
  decodeCommitment,
  fromBase64,
  macKey,
  newAgreementKey,
  signAuthorization,
  toBase64,
  verifyRequest,
  type Commitment,
} from '@micromint/shared';
import type { BrokerContext } from '../context.ts';
import { BrokerError } from '../errors.ts';
import { safeEqualBytes } from '../ids.ts';
import { chargeChainHold } from '../tokens.ts';
import { brokerKeyPair } from './keys.ts';
import { releaseDueChains } from './release.ts';

/** Largest request body, in bytes (the commitment is at most 1 KiB; the rest is two keys' worth). */
export const CHAIN_REQUEST_BYTES = 16 * 1024;
/**
 * Most chains one user may hold at once. Each authorized chain is a stored row; holds come back only a
 * grace period after expiry, so this bounds what one account can store, far above what a reader needs
 * (one open chain per site read often).
 */
export const MAX_HELD_CHAINS_PER_USER = 1000;

/** A request whose wallet signature verified: steps 1 to 3 passed. */
export interface ChainRequest {
  commitmentBytes: Uint8Array;
  commitment: Commitment;
  chainId: string;
  walletKey: Uint8Array;
}

/** The answer: 201 for a new chain, 200 for one authorized before (`created` false). */
export interface ChainAuthorization {
  chainId: string;
  /** The broker's Ed25519 authorization of the commitment, base64. */
  authorization: string;
  /** What the chain holds: length * value mills. */
  heldMills: number;
  /** The user's balance after the hold. */
  balanceMills: number;
}

const badRequest = (message: string) => new BrokerError(400, 'bad_request', message);

function bytesField(body: Record<string, unknown>, name: string, length: number): Uint8Array {
  const v = body[name];
  let bytes: Uint8Array | undefined;
  try {
    bytes = typeof v === 'string' && v.length <= 128 ? fromBase64(v) : undefined;
  } catch {
    bytes = undefined;
  }
  if (!bytes || bytes.length !== length) throw badRequest(`${name} must be base64 of ${length} bytes`);
  return bytes;
}

function readCommitment(text: string): { bytes: Uint8Array; commitment: Commitment } {
  try {
    const bytes = text.length <= Math.ceil(MAX_COMMITMENT_BYTES / 3) * 4 ? fromBase64(text) : undefined;
    if (!bytes) throw new RangeError('too long');
    return { bytes, commitment: decodeCommitment(bytes) };
  } catch {
    throw new BrokerError(400, 'bad_commitment', 'the commitment is not base64 of a PWv1 commitment (docs/protocol.md, section 12.3)');
  }
}

/**
 * Steps 1 to 3: the body's shape (400 `bad_request`), the commitment decodes (400 `bad_commitment`) and
 * names this broker (400 `wrong_broker`), the wallet key is connected to the commitment's user (403
 * `wallet_not_connected`) and signed the request (403 `bad_signature`). Reads only.
 */
export async function authenticateChainRequest(ctx: BrokerContext, body: unknown): Promise<ChainRequest> {
  try {
    aobject(body, 'body');
  } catch {
    throw badRequest('the body must be a JSON object { commitment, walletKey, signature }');
  }
  if (typeof body.commitment !== 'string' || body.commitment.length === 0) throw badRequest('commitment must be a base64 string');
  const walletKey = bytesField(body, 'walletKey', ED25519_KEY_BYTES);
  const signature = bytesField(body, 'signature', SIGNATURE_BYTES);
  const { bytes, commitment } = readCommitment(body.commitment);
  if (commitment.broker.replace(/\/+$/, '') !== ctx.publicUrl)
    throw new BrokerError(400, 'wrong_broker', `this broker is ${ctx.publicUrl}; the commitment names ${commitment.broker}`);
  if (!agreesKeys(commitment.walletKey))
    throw new BrokerError(
      400,
      'bad_commitment',
      'the chain key of the commitment is a low-order X25519 point: no vendor could check its MACs',
    );
  await checkConnected(ctx, commitment.userId, walletKey);
  if (!verifyRequest(walletKey, signature, bytes))
    throw new BrokerError(403, 'bad_signature', "the signature is not the wallet key's request for this commitment");
  return { commitmentBytes: bytes, commitment, chainId: chainIdOf(bytes), walletKey };
}

/** Step 3's first half: 403 `wallet_not_connected` unless `walletKey` is connected to `userId`. */
async function checkConnected(ctx: BrokerContext, userId: string, walletKey: Uint8Array): Promise<void> {
  if (!(await ctx.store.paywordKeys.hasWalletKey(userId, walletKey)))
    throw new BrokerError(
      403,
      'wallet_not_connected',
      "this wallet key is not connected to the commitment's user: connect the wallet on the broker's account page",
    );
}

/**
 * True when an X25519 public key gives a shared secret (it is not a low-order point). Money held for
 * a chain whose key agrees with nobody could never be spent, only released after expiry.
 */
function agreesKeys(publicKey: Uint8Array): boolean {
  try {
    macKey(newAgreementKey().secretKey, publicKey, new Uint8Array(CHAIN_ID_BYTES));
    return true;
  } catch {
    return false;
  }
}

/** Step 4: the vendor is registered, enabled, and the commitment names the key it registered. */
async function checkVendor(ctx: BrokerContext, c: Commitment): Promise<void> {
  const vendor = await ctx.store.vendors.byId(c.vendorId);
  if (!vendor) throw new BrokerError(404, 'unknown_vendor', `no vendor ${c.vendorId} is registered at this broker`);
  if (vendor.disabled)
    throw new BrokerError(403, 'vendor_disabled', `vendor ${vendor.id} is disabled by the broker: no chain is authorized to it`);
  const key = await ctx.store.paywordKeys.vendorKey(vendor.id);
  if (!key || !safeEqualBytes(key.key, c.vendorKey))
    throw new BrokerError(
      409,
      'vendor_key_mismatch',
      `the commitment's vendorKey is not the key ${vendor.id} registered: fetch its 402 challenge again`,
    );
}

/** Step 5: the chain's length, value and expiry are within the broker's bounds at `now`. */
function checkBounds(ctx: BrokerContext, c: Commitment, now: Date): void {
  if (c.length > ctx.maxChainLength) throw new BrokerError(400, 'bad_commitment', `a chain has at most ${ctx.maxChainLength} links`);
  if (c.value > MAX_LINK_VALUE) throw new BrokerError(400, 'bad_commitment', `a link is worth at most ${MAX_LINK_VALUE} mills`);
  const ms = now.getTime();
  const expires = c.expiresAt * 1000;
  if (!(ms < expires) || expires > ms + ctx.maxChainExpirySeconds * 1000)
    throw new BrokerError(400, 'bad_expiry', `expiresAt must be after now and at most ${ctx.maxChainExpirySeconds} s from now`);
}

/** Step 6: the stored authorization of a chain authorized before, or undefined. Holds nothing. */
async function priorAuthorization(ctx: BrokerContext, r: ChainRequest): Promise<ChainAuthorization | undefined> {
  const prior = await ctx.store.chains.byId(r.chainId);
  if (!prior) return undefined;
  if (!safeEqualBytes(prior.commitment, r.commitmentBytes))
    throw new BrokerError(400, 'bad_commitment', 'another commitment has this chain id');
  return {
    chainId: prior.id,
    authorization: toBase64(prior.authorization),
    heldMills: prior.heldMills,
    balanceMills: await ctx.store.accounts.balance('user', prior.userId),
  };
}

/**
 * Steps 7 and 8 (inside the caller's transaction): the balance covers the hold, and so does the spending
 * limit of the API token that connected the wallet key, if one did (403 `spending_limit`); hold, record, sign.
 */
async function hold(ctx: BrokerContext, r: ChainRequest, now: Date): Promise<ChainAuthorization> {
  const { store } = ctx;
  const c = r.commitment;
  if ((await store.chains.countHeldOfUser(c.userId)) >= MAX_HELD_CHAINS_PER_USER)
    throw new BrokerError(409, 'too_many_chains', `a user holds at most ${MAX_HELD_CHAINS_PER_USER} chains at once`, {
      maxHeldChains: MAX_HELD_CHAINS_PER_USER,
    });
  const held = chainMills(c);
  const balance = await store.accounts.balance('user', c.userId);
  if (balance < held)
    throw new BrokerError(409, 'insufficient_funds', `the chain holds ${held} mills; the balance is ${balance} mills`, {
      balanceMills: balance,
      neededMills: held,
    });
  await chargeChainHold(ctx, c.userId, r.walletKey, held);
  const at = now.toISOString();
  const authorization = signAuthorization((await brokerKeyPair(store, now)).secretKey, r.commitmentBytes);
  await store.chains.insert({
    id: r.chainId,
    commitment: r.commitmentBytes,
    userId: c.userId,
    vendorId: c.vendorId,
    links: c.length,
    valueMills: c.value,
    expiresAt: c.expiresAt,
    clearBy: c.expiresAt + ctx.chainGraceSeconds,
    heldMills: held,
    authorization,
    walletKey: r.walletKey,
    clearedLink: c.root,
    createdAt: at,
  });
  const memo = `PayWord chain ${r.chainId.slice(0, 12)}… for ${c.vendorId}: ${c.length} link(s) of ${c.value} mill(s) held`;
  await store.accounts.post('user', c.userId, -held, 'chain-hold', r.chainId, memo, at);
  return { chainId: r.chainId, authorization: toBase64(authorization), heldMills: held, balanceMills: balance - held };
}

/**
 * Steps 4 to 8 for an authenticated request, in one transaction (the clock is read inside it), which
 * first checks again that the wallet key is connected (403 `wallet_not_connected`: it may have been
 * disconnected, or its API token revoked, since the request was authenticated); then vendor
 * (404 `unknown_vendor`, 403 `vendor_disabled`, 409 `vendor_key_mismatch`), bounds (400 `bad_commitment`,
 * 400 `bad_expiry`), a retry gets the stored authorization, 409 `too_many_chains`, 409
 * `insufficient_funds` (with `balanceMills`), then the hold. The user's due releases run first, so a hold
 * that came back can pay for the new chain.
 * @example
 * const { created, answer } = await authorizeChain(ctx, await authenticateChainRequest(ctx, req.body));
 */
export async function authorizeChain(ctx: BrokerContext, r: ChainRequest): Promise<{ created: boolean; answer: ChainAuthorization }> {
  await releaseDueChains(ctx, r.commitment.userId);
  return ctx.store.transaction(async () => {
    const now = ctx.now();
    await checkConnected(ctx, r.commitment.userId, r.walletKey);
    await checkVendor(ctx, r.commitment);
    checkBounds(ctx, r.commitment, now);
    const prior = await priorAuthorization(ctx, r);
    if (prior) return { created: false, answer: prior };
    return { created: true, answer: await hold(ctx, r, now) };
  });
}

/** All eight steps at once, for callers without a per-user rate limit in between (scripts, tests). */
export const requestChain = async (ctx: BrokerContext, body: unknown): Promise<{ created: boolean; answer: ChainAuthorization }> =>
  authorizeChain(ctx, await authenticateChainRequest(ctx, body));
