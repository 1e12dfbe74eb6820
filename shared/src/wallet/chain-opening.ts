/**
 * Making the chain a wallet asks its broker to authorize (docs/protocol.md 12.5 and 12.7): its
 * final size and expiry against what is held when the opening's turn comes, then a fresh seed and
 * salt, the chain's checkpoints, a chain key, the commitment, the MAC key agreed with the vendor,
 * and the wallet key's request signature. The result is the record a wallet stores as `opening`
 * BEFORE the request leaves, so a lost answer is asked for again with the very same bytes. Sending
 * it and storing it stay with each wallet.
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { fromBase64, fromHex } from '../bytes.ts';
import { buildChain, LINK_BYTES, SALT_BYTES } from '../payword/chain.ts';
import { chainIdOf, encodeCommitment } from '../payword/commitment.ts';
import { agreementPublicKey, macKey } from '../payword/mac.ts';
import { signRequest } from '../payword/signatures.ts';
import { CHAIN_EXPIRY_MARGIN_SECONDS, unixSeconds, type WalletChain } from './chain-record.ts';
import { chainLifetime, newChainLength } from './chain-terms.ts';

/** What fixes a new chain's size and expiry when it is about to be made. */
export interface OpeningSizeInput {
  /** Links the payment costs. */
  units: number;
  /** Mills per link. */
  value: number;
  /** The length the choice of scheme settled on. */
  length: number;
  /** Mills the open chains hold now. */
  heldMills: number;
  /** The reader's cap on what open chains hold, in mills. */
  maxHeldMills: number;
  /** The broker's most links per chain. */
  maxLength: number;
  /** The reader's lifetime of a new chain, in seconds. */
  lifetimeSeconds: number;
  /** The broker's latest expiry, in seconds from now. */
  maxExpirySeconds: number;
  /** Milliseconds since 1970. */
  now: number;
}

/** A new chain's size and expiry, or why none is made: `held-cap` (the cap is reached), `short-lived` (the broker's chains would not outlive the margin). */
export type OpeningSize = { length: number; expiresAt: number } | { refusal: 'held-cap' | 'short-lived'; message: string };

/**
 * The size and expiry of the chain to make now. The choice sized it before the opening's turn; it
 * is sized again against what is held now, and a chain the wallet would stop using at once
 * (expiring within twice the expiry margin) would only lock money.
 * @example
 * openingSize({ units: 1, value: 1, length: 100, heldMills: 950, maxHeldMills: 1000, maxLength: 10_000,
 *   lifetimeSeconds: 604_800, maxExpirySeconds: 2_592_000, now: Date.now() }); // { length: 50, expiresAt: ... }
 */
export function openingSize(o: OpeningSizeInput): OpeningSize {
  const fits = newChainLength({
    units: o.units,
    value: o.value,
    chainLinks: o.length,
    heldMills: o.heldMills,
    maxHeldMills: o.maxHeldMills,
    maxLength: o.maxLength,
  });
  const length = Math.min(o.length, fits);
  if (length < o.units)
    return { refusal: 'held-cap', message: `your open chains already hold close to your limit of ${o.maxHeldMills} mills` };
  const lifetime = chainLifetime(o.lifetimeSeconds, o.maxExpirySeconds);
  if (lifetime <= 2 * CHAIN_EXPIRY_MARGIN_SECONDS)
    return { refusal: 'short-lived', message: `the broker lets chains live ${o.maxExpirySeconds} s only` };
  return { length, expiresAt: unixSeconds(o.now) + lifetime };
}

/** A chain to make: whose (the broker's URL exactly as the offer names it, the user), for which vendor and key, how long and until when. */
export type ChainProposal = Pick<WalletChain, 'broker' | 'userId' | 'vendorId' | 'vendorKey' | 'value' | 'length' | 'expiresAt'>;

/** Why a chain cannot be made for an offer; `message` is fit to show. */
export class ChainProposalError extends Error {
  override name = 'ChainProposalError';
  constructor(
    /** `unpayable`: the broker URL, user or vendor id is longer than a commitment holds; `bad-vendor-key`: no MAC key agrees with the vendor's key. */
    readonly code: 'unpayable' | 'bad-vendor-key',
    message: string,
  ) {
    super(message);
  }
}

/** The secrets of a new chain a wallet may keep besides its record (for a backup). */
export interface ChainSecrets {
  /** w_length: the secret every link derives from. */
  seed: Uint8Array;
  /** w_0, as committed. */
  root: Uint8Array;
  /** The X25519 secret of the chain key (its public half is the commitment's `walletKey`). */
  chainSecret: Uint8Array;
}

function commitmentFor(p: ChainProposal, vendorKey: Uint8Array, walletKey: Uint8Array, root: Uint8Array, salt: Uint8Array): Uint8Array {
  const { broker, userId, vendorId, length, value, expiresAt } = p;
  try {
    return encodeCommitment({ broker, userId, vendorId, vendorKey, walletKey, root, salt, length, value, expiresAt });
  } catch (e) {
    throw new ChainProposalError('unpayable', `no chain can be committed for this site: ${(e as Error).message}`);
  }
}

/**
 * Makes a new chain for `p`: the record to store as `opening` (next index 1, commitment not sent
 * yet) and its secrets. `walletSecret` is the wallet key's Ed25519 secret, which signs the request.
 * @throws ChainProposalError when no chain can be committed for the offer or bound to its key.
 * @example
 * const { record } = makeChain({ broker, userId, vendorId, vendorKey, value: 1, length: 100, expiresAt }, walletKey.secretKey, Date.now());
 * await store(record); // before the request leaves
 */
export function makeChain(
  p: ChainProposal,
  walletSecret: Uint8Array,
  now: number,
  random: (bytes: number) => Uint8Array = randomBytes,
): { record: WalletChain; secrets: ChainSecrets } {
  const seed = random(LINK_BYTES);
  const salt = random(SALT_BYTES);
  const built = buildChain(seed, salt, p.length);
  const chainSecret = random(32);
  const vendorKey = fromBase64(p.vendorKey);
  const commitment = commitmentFor(p, vendorKey, agreementPublicKey(chainSecret), built.root, salt);
  const id = chainIdOf(commitment);
  let mac: Uint8Array;
  try {
    mac = macKey(chainSecret, vendorKey, fromHex(id));
  } catch {
    throw new ChainProposalError('bad-vendor-key', 'the site offers a key no payment can be bound to');
  }
  const record: WalletChain = {
    id,
    broker: p.broker,
    userId: p.userId,
    vendorId: p.vendorId,
    vendorKey: p.vendorKey,
    value: p.value,
    length: p.length,
    expiresAt: p.expiresAt,
    salt,
    checkpoints: built.checkpoints,
    macKey: mac,
    commitment,
    request: signRequest(walletSecret, commitment),
    next: 1,
    status: 'opening',
    sentCommitment: false,
    createdAt: now,
    updatedAt: now,
  };
  return { record, secrets: { seed, root: built.root, chainSecret } };
}
