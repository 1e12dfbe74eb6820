/**
 * Judging the coins of a redemption batch (docs/protocol.md section 7, steps 1 to 8) with the mint
 * database read once per batch and epoch: every ball the batch names in one statement, the owners of its
 * first superbins in another. Each coin gets the very answer the checks in their order give.
 *
 * The fast path hashes only a coin's first ball (all first balls of the batch in one kernel call): its slot
 * and the user's and vendor's offsets name the slots of all k balls, and if each ball is the ball minted
 * into its slot (and none is compromised), the coin passes the vendor's k-hash check too, since a minted
 * ball lies in its own slot by construction and the offsets keep the k slots apart. Any other coin takes
 * the slow path, the full check, for its exact reason: the check's own (`fixed-bits`, `wrong-user`...) or,
 * when the check passes, `forged`.
 * @module
 */
import {
  BALL_BYTES,
  coinBytes,
  coinVerifier,
  positions,
  userOffsets,
  vendorOffsets,
  type EpochParams,
  type RefusalReason,
} from '@micromint/shared';
import type { BallStatus, MintLookup } from '../db/epochs.ts';
import { matcherOf } from '../mint/matcher.ts';
import { nativeAvailable } from '../mint/native.ts';
import type { BrokerContext } from './context.ts';
import { coinBytesOf, coinIdOf, type RedeemEntry } from './redeem-request.ts';
import { epochTimeline, redemptionOpen } from './timeline.ts';

/** A coin's verdict: good, to be settled against the status of its first ball (in `slot`), or refused. */
export type Verdict =
  { ok: true; epoch: string; coinId: string; slot: number; status: BallStatus } | { ok: false; coinId: string; reason: RefusalReason };

/** A coin that passed the checks that need no hash. */
interface Candidate {
  index: number;
  entry: RedeemEntry;
  bytes: Uint8Array;
  coinId: string;
}

type Verifier = ReturnType<typeof coinVerifier>;
type Owners = Awaited<ReturnType<BrokerContext['store']['sets']['ownersOf']>>;

/** An epoch of the batch and its candidates. */
interface EpochGroup {
  p: EpochParams;
  open: boolean;
  /** `expiresAt` in ms: a coin paid at or after it is `expired` (shared's `isExpired`, parsed once a batch). */
  expiresMs: number;
  candidates: Candidate[];
}

async function groupOf(ctx: BrokerContext, groups: Map<string, EpochGroup | null>, id: string, now: Date): Promise<EpochGroup | null> {
  let g = groups.get(id);
  if (g === undefined) {
    const rec = await ctx.store.epochs.get(id);
    g = rec
      ? {
          p: rec.params,
          open: redemptionOpen(await epochTimeline(ctx, rec), now),
          expiresMs: Date.parse(rec.params.expiresAt),
          candidates: [],
        }
      : null;
    groups.set(id, g);
  }
  return g;
}

/** Steps 1 to 5: what can be told without a hash or the mint database. */
function precheck(e: RedeemEntry, bytes: Uint8Array | undefined, g: EpochGroup | null, vendorId: string, origins: Map<string, string>) {
  if (!g) return 'unknown-epoch';
  if (!g.open) return 'redemption-closed';
  if (!bytes || bytes.length !== coinBytes(g.p)) return 'malformed';
  let origin = origins.get(e.url);
  if (origin === undefined) origins.set(e.url, (origin = new URL(e.url).origin));
  if (origin !== vendorId) return 'wrong-vendor';
  if (Date.parse(e.paidAt) >= g.expiresMs) return 'expired';
  return undefined;
}

/** The slots (superbin * 2^v + sub-bin) of a coin's k balls, from its first ball's slot and the offsets. */
function coinSlots(p: EpochParams, first: number, uh: readonly number[], vh: readonly number[]): number[] {
  const subbins = positions(first % 2 ** p.v, vh, p.v);
  return positions(Math.floor(first / 2 ** p.v), uh, p.u).map((sb, i) => sb * 2 ** p.v + subbins[i]!);
}

/**
 * Step 7 on the fast path: the status of the coin's first ball when every ball is the one minted into its
 * slot and none is compromised; undefined otherwise.
 */
function mintedStatus(c: Candidate, slots: readonly number[], minted: MintLookup): BallStatus | undefined {
  const first = minted.statusOf(slots[0]!, c.bytes, 0);
  if (first === undefined || first === 'compromised') return undefined;
  for (let i = 1; i < slots.length; i++) {
    const s = minted.statusOf(slots[i]!, c.bytes, i * BALL_BYTES);
    if (s === undefined || s === 'compromised') return undefined;
  }
  return first;
}

/** The slots of each candidate's balls (undefined when its first ball does not count), in one kernel call. */
function slotsOfCandidates(g: EpochGroup, vendorId: string): (number[] | undefined)[] {
  const { p, candidates } = g;
  const firsts = new Uint8Array(candidates.length * BALL_BYTES);
  for (let i = 0; i < candidates.length; i++) firsts.set(candidates[i]!.bytes.subarray(0, BALL_BYTES), i * BALL_BYTES);
  const pairs = matcherOf(nativeAvailable() ? 'native' : 'js', p.key, p)(firsts);
  const vh = vendorOffsets(p, vendorId);
  const users = new Map<string, number[]>();
  const out = new Array<number[] | undefined>(candidates.length);
  for (let j = 0; j < pairs.length; j += 2) {
    const c = candidates[pairs[j]!]!;
    let uh = users.get(c.entry.userId);
    if (!uh) users.set(c.entry.userId, (uh = userOffsets(p, c.entry.userId)));
    out[pairs[j]!] = coinSlots(p, pairs[j + 1]!, uh, vh);
  }
  return out;
}

/** The verdict on one candidate whose balls' slots are `slots` (undefined: its first ball does not count). */
function verdictOf(
  g: EpochGroup,
  c: Candidate,
  slots: number[] | undefined,
  minted: MintLookup,
  owners: Owners,
  slow: () => Verifier,
): Verdict {
  const { p } = g;
  const status = slots && mintedStatus(c, slots, minted);
  if (!status) {
    const check = slow()(c.bytes, c.entry.userId);
    return { ok: false, coinId: c.coinId, reason: check.ok ? 'forged' : check.reason };
  }
  const owner = owners.get(Math.floor(slots![0]! / 2 ** p.v));
  if (!owner || owner.position !== 0 || owner.userId !== c.entry.userId) return { ok: false, coinId: c.coinId, reason: 'not-sold' };
  return { ok: true, epoch: p.id, coinId: c.coinId, slot: slots![0]!, status };
}

/** Steps 6 to 8 for the candidates of one epoch: the mint database and the sets read once. */
async function judgeGroup(ctx: BrokerContext, vendorId: string, g: EpochGroup, verdicts: Verdict[]): Promise<void> {
  const { p, candidates } = g;
  const slots = slotsOfCandidates(g, vendorId);
  const all: number[] = [];
  const firstSuperbins = new Set<number>();
  for (const s of slots) {
    if (!s) continue;
    for (const slot of s) all.push(slot);
    firstSuperbins.add(Math.floor(s[0]! / 2 ** p.v));
  }
  const minted = await ctx.store.epochs.lookup(p.id, all);
  const owners = await ctx.store.sets.ownersOf(p.id, [...firstSuperbins]);
  let verify: Verifier | undefined;
  const slow = () => (verify ??= coinVerifier(p, vendorId));
  for (let i = 0; i < candidates.length; i++) verdicts[candidates[i]!.index] = verdictOf(g, candidates[i]!, slots[i], minted, owners, slow);
}

/**
 * Judges the coins of a batch for `vendorId` at `now` against the mint records, changing nothing but an
 * epoch's pinned `redeemBy` (timeline.ts): one verdict per coin, in request order. Call inside the batch's
 * transaction: the ball statuses read here decide what it writes.
 * @example
 * const verdicts = await judgeCoins(ctx, vendor.id, req.coins, ctx.now());
 * verdicts[0]; // { ok: true, epoch: '2026-11', coinId: '…', slot: 4711, status: 'sold' }
 */
export async function judgeCoins(ctx: BrokerContext, vendorId: string, coins: readonly RedeemEntry[], now: Date): Promise<Verdict[]> {
  const verdicts = new Array<Verdict>(coins.length);
  const groups = new Map<string, EpochGroup | null>();
  const origins = new Map<string, string>();
  for (let index = 0; index < coins.length; index++) {
    const entry = coins[index]!;
    const bytes = coinBytesOf(entry);
    const coinId = coinIdOf(entry, bytes);
    // An await only for an epoch not looked up yet: a batch is mostly one epoch.
    const known = groups.get(entry.epoch);
    const g = known !== undefined ? known : await groupOf(ctx, groups, entry.epoch, now);
    const reason = precheck(entry, bytes, g, vendorId, origins);
    if (reason) verdicts[index] = { ok: false, coinId, reason };
    else g!.candidates.push({ index, entry, bytes: bytes!, coinId });
  }
  for (const g of groups.values()) if (g?.candidates.length) await judgeGroup(ctx, vendorId, g, verdicts);
  return verdicts;
}
