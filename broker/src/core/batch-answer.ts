/**
 * The answer to a redemption batch (coins and chains), and the compact form in which it is stored for replay.
 *
 * Why compact: the same batchId must get the same answer again (a vendor retries after a lost response),
 * so every answer is stored; a batch holds up to 10,000 coins and 1,000 chains, and an anonymous vendor can
 * send batches of junk. Storing the answer as JSON (a coin id per coin) cost about 870 kB per such batch. A
 * replay is only served when the request is byte-for-byte the one answered (same digest), so coin and chain
 * ids can be rebuilt from the request itself: the stored form keeps one character per coin, the outcome,
 * and per chain its outcome and figures (at most about 30 bytes). That is at most about 40 kB a batch,
 * whatever the entries hold.
 * @module
 */
import type { PaywordRefusal, RefusalReason } from '@micromint/shared';
import type { ChainResult } from './payword/clear.ts';
import { chainIdOfEntry } from './payword/clear-request.ts';
import { coinIdOf, type RedeemRequest } from './redeem-request.ts';

export type { ChainResult } from './payword/clear.ts';

/** The outcome for one coin, in request order. */
export interface RedeemResult {
  coinId: string;
  status: 'credited' | 'refused';
  reason?: RefusalReason;
}

/** The answer to a batch (stored, and replayed for the same batchId). */
export interface RedeemAnswer {
  batchId: string;
  /** Coins credited. */
  credited: number;
  /** Mills credited for coins (chains say what they paid in `chains[].paidMills`). */
  creditedMills: number;
  results: RedeemResult[];
  /** One answer per chain, in request order. */
  chains: ChainResult[];
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

/** One letter per reason the broker refuses a chain with (`c` = cleared). Never change a letter's meaning. */
const CHAIN_CODES: Partial<Record<PaywordRefusal, string>> = {
  'bad-commitment': 'm',
  'bad-authorization': 'a',
  'wrong-vendor': 'v',
  'chain-closed': 'z',
  'index-out-of-range': 'i',
  'bad-link': 'l',
};
const CHAIN_REASONS = new Map(Object.entries(CHAIN_CODES).map(([reason, code]) => [code, reason as PaywordRefusal]));

type StoredChain = [code: string, clearedIndex: number, paidUnits: number, paidMills: number];

/** The stored form of an answer: `{"codes":"ccgg...","chains":[["c",5,5,5],...]}`. */
export function encodeAnswer(answer: RedeemAnswer): string {
  const codes = answer.results.map((r) => (r.status === 'credited' ? CREDITED : CODES[r.reason!])).join('');
  const chains = answer.chains.map((r): StoredChain => [
    r.status === 'cleared' ? CREDITED : CHAIN_CODES[r.reason!]!,
    r.clearedIndex,
    r.paidUnits,
    r.paidMills,
  ]);
  return JSON.stringify(chains.length ? { codes, chains } : { codes });
}

const broken = (req: RedeemRequest, what: string) => new Error(`stored answer of batch ${req.batchId} ${what}`);

function decodeChains(stored: unknown, req: RedeemRequest): ChainResult[] {
  const rows = (stored ?? []) as StoredChain[];
  if (!Array.isArray(rows) || rows.length !== req.chains.length) throw broken(req, 'does not fit its chains');
  return rows.map(([code, clearedIndex, paidUnits, paidMills], i): ChainResult => {
    const chainId = chainIdOfEntry(req.chains[i]!);
    if (code === CREDITED) return { chainId, status: 'cleared', clearedIndex, paidUnits, paidMills };
    const reason = CHAIN_REASONS.get(code);
    if (!reason) throw broken(req, `holds an unknown chain code ${code}`);
    return { chainId, status: 'refused', reason, clearedIndex, paidUnits, paidMills };
  });
}

/**
 * Rebuilds a stored answer for `req`, the request it answered (same batchId, coins and chains). Also reads
 * answers stored whole by brokers before the compact form, and answers stored before chains (no `chains`).
 * Throws `Error` on a stored answer that does not fit the request (a broken database, not bad input).
 */
export function decodeAnswer(stored: string, req: RedeemRequest): RedeemAnswer {
  const parsed = JSON.parse(stored) as { codes?: unknown; chains?: unknown } | (Omit<RedeemAnswer, 'chains'> & { chains?: ChainResult[] });
  if ('results' in parsed) return { ...parsed, chains: parsed.chains ?? [] };
  const codes = parsed.codes;
  if (typeof codes !== 'string' || codes.length !== req.coins.length) throw broken(req, 'does not fit its request');
  let credited = 0;
  const results = req.coins.map((e, i): RedeemResult => {
    const code = codes[i]!;
    const coinId = coinIdOf(e);
    if (code === CREDITED) {
      credited++;
      return { coinId, status: 'credited' };
    }
    const reason = REASONS.get(code);
    if (!reason) throw broken(req, `holds an unknown code ${code}`);
    return { coinId, status: 'refused', reason };
  });
  return { batchId: req.batchId, credited, creditedMills: credited, results, chains: decodeChains(parsed.chains, req) };
}
