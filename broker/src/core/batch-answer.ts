/**
 * The answer to a redemption batch, and the compact form in which it is stored for replay.
 *
 * Why compact: the same batchId must get the same answer again (a vendor retries after a lost response),
 * so every answer is stored; a batch holds up to 10,000 coins, and an anonymous vendor can send batches of
 * junk. Storing the answer as JSON (a coin id per coin) cost about 870 kB per such batch. A replay is only
 * served when the request is byte-for-byte the one answered (same digest), so the coin ids can be rebuilt
 * from the request itself: the stored form keeps one character per coin, the outcome. That is at most
 * 10,000 bytes a batch, whatever the coins hold.
 * @module
 */
import type { RefusalReason } from '@micromint/shared';
import { coinIdOf, type RedeemRequest } from './redeem-request.ts';

/** The outcome for one coin, in request order. */
export interface RedeemResult {
  coinId: string;
  status: 'credited' | 'refused';
  reason?: RefusalReason;
}

/** The answer to a batch (stored, and replayed for the same batchId). */
export interface RedeemAnswer {
  batchId: string;
  credited: number;
  creditedMills: number;
  results: RedeemResult[];
}

const CREDITED = 'c';
/** One letter per refusal reason. Letters never change meaning: stored answers hold them. */
const CODES: Record<RefusalReason, string> = {
  malformed: 'm',
  'fixed-bits': 'f',
  'wrong-user': 'u',
  'wrong-vendor': 'v',
  'duplicate-ball': 'd',
  'unknown-epoch': 'e',
  expired: 'x',
  'already-spent': 's',
  forged: 'g',
  'not-sold': 'n',
  returned: 'r',
  'redemption-closed': 'z',
};
const REASONS = new Map(Object.entries(CODES).map(([reason, code]) => [code, reason as RefusalReason]));

/** The stored form of an answer: `{"codes":"ccgg..."}`, one character per result. */
export function encodeAnswer(answer: RedeemAnswer): string {
  const codes = answer.results.map((r) => (r.status === 'credited' ? CREDITED : CODES[r.reason!])).join('');
  return JSON.stringify({ codes });
}

/**
 * Rebuilds a stored answer for `req`, the request it answered (same batchId and coins). Also reads answers
 * stored whole by brokers before the compact form. Throws `Error` on a stored answer that does not fit the
 * request (a broken database, not bad input).
 */
export function decodeAnswer(stored: string, req: RedeemRequest): RedeemAnswer {
  const parsed = JSON.parse(stored) as { codes?: unknown } | RedeemAnswer;
  if ('results' in parsed) return parsed;
  const codes = parsed.codes;
  if (typeof codes !== 'string' || codes.length !== req.coins.length) throw new Error(`stored answer of batch ${req.batchId} does not fit its request`);
  let credited = 0;
  const results = req.coins.map((e, i): RedeemResult => {
    const code = codes[i]!;
    const coinId = coinIdOf(e);
    if (code === CREDITED) {
      credited++;
      return { coinId, status: 'credited' };
    }
    const reason = REASONS.get(code);
    if (!reason) throw new Error(`stored answer of batch ${req.batchId} holds an unknown code ${code}`);
    return { coinId, status: 'refused', reason };
  });
  return { batchId: req.batchId, credited, creditedMills: credited, results };
}
