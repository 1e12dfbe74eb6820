/**
 * The rules that keep a coin (or a chain) in one wallet at a time when backups move it around.
 *
 * The broker cannot tell two wallets of one user apart, so nothing outside the wallet stops a coin
 * copied into two browser profiles from being spent twice (the vendor and the broker only catch it
 * afterwards, as a double spend that flags the user). A backup therefore MOVES what it exports: the
 * wallet that makes the file marks the coins and chains in it as away, in the transaction that
 * stores the file, and never spends them again.
 *
 * Each coin and chain carries a generation: 0 as bought, one more each time a backup moves it. A
 * wallet imports a coin only at a generation higher than any it knows for that coin, so a file is
 * never worth more than once: importing it twice, importing it back into the wallet that made it,
 * or importing an older file after a newer one adds nothing. What a file says was spent or moved
 * elsewhere is learned too (a stale copy the wallet still holds is put away). What the rules cannot
 * do: tell which of two profiles restored from one snapshot, or one file imported into two
 * wallets, is the real one. There the vendor and the broker catch the second spend.
 *
 * The generation and the away mark are a field of the ball and chain records the schema does not
 * name (`backup`): IndexedDB keeps any field, so no schema version was needed, and the wallet's
 * other code sees an away coin as `spent` (never offered, never returned) and an away chain as
 * `closed`.
 * @module
 */
import type { BackupBallState } from './backup-payload.ts';
import type { BallRecord, ChainRecord } from './schema.ts';

/** What a backup notes on a ball or chain record. */
export interface BackupMark {
  /** 0 as bought; one more each time a backup moves the coin or chain. */
  gen: number;
  /** Set while it is not in this wallet: moved into backup `by`, or learned from backup `by` to be spent or held elsewhere. */
  away?: { by: string; at: number };
}

/** A record with its backup mark, if any. */
export type Marked<T> = T & { backup?: BackupMark };

/** The generation a record is at. */
export const generationOf = (r: { backup?: BackupMark }): number => r.backup?.gen ?? 0;

/** True for a record a backup took away from this wallet (or found held elsewhere). */
export const isAway = (r: { backup?: BackupMark }): boolean => r.backup?.away !== undefined;

/** What to do with one coin of a file: leave the wallet's record as it is, make the coin spendable here, or mark it away. */
export type BallDecision = { do: 'keep' } | { do: 'hold'; gen: number } | { do: 'away'; gen: number };

/** Where the wallet stands on a coin. */
function standing(b: Marked<BallRecord> | undefined): 'absent' | 'held' | 'away' | 'gone' {
  if (!b) return 'absent';
  if (b.state === 'unspent' && !b.flag) return 'held';
  if (b.state === 'spent' && isAway(b) && !b.paymentId) return 'away';
  return 'gone';
}

/**
 * The rule for one coin of a file (state and generation as the file says) against the wallet's record.
 * - `unspent` at f: added or brought back when the wallet has no record of it, or only of it
 *   leaving at a generation below f; kept as it is otherwise (held already, or spent here).
 * - `moved` at m / `spent` at s: a coin that lives elsewhere or is spent: recorded away; a coin
 *   the wallet holds at a generation below m (or at most s) is a stale copy and is put away.
 * @example
 * decideBall(undefined, 'unspent', 1); // { do: 'hold', gen: 1 }
 * decideBall(awayAt1, 'unspent', 1);   // { do: 'keep' }: the wallet's own file, imported back
 */
export function decideBall(target: Marked<BallRecord> | undefined, state: BackupBallState, gen: number): BallDecision {
  const where = standing(target);
  const known = target ? generationOf(target) : 0;
  if (state === 'unspent') {
    if (where === 'absent' || (where === 'away' && gen > known)) return { do: 'hold', gen };
    return { do: 'keep' };
  }
  if (where === 'absent') return { do: 'away', gen };
  if (where === 'held' && (state === 'moved' ? known < gen : known <= gen)) return { do: 'away', gen };
  if (where === 'away' && gen > known) return { do: 'away', gen };
  return { do: 'keep' };
}

/** What to do with a chain of a file: add it, bring it back (it left this wallet at a lower generation), or keep the wallet's. */
export type ChainDecision = 'add' | 'restore' | 'keep';

/**
 * The rule for an open chain of a file (at generation f) against the wallet's record: added when
 * the wallet has none, brought back when the wallet's left at a generation below f, kept
 * otherwise. Whatever the decision, the chain's next index becomes the higher of the two, so a link
 * revealed by either wallet is never revealed again.
 */
export function decideChain(target: Marked<ChainRecord> | undefined, gen: number): ChainDecision {
  if (!target) return 'add';
  return isAway(target) && gen > generationOf(target) ? 'restore' : 'keep';
}
