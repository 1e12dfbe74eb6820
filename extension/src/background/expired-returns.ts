/**
 * Coins of an expired epoch, offered for return without the reader finding the broker's page:
 * the popup asks for the offer (which epochs expired with coins left, and whether their returns
 * are open), and one click returns them through the same code as a broker page's Send-Expired
 * (`FundsService.returnEpoch`: wallet/returns.ts, the broker's `POST /api/credit`).
 *
 * When returns open is the broker's to say: the wallet asks its public epoch API
 * (`GET <broker>/api/epochs/<id>`, docs/protocol.md section 10) once per expired epoch with coins
 * and keeps the answer's `returnsFrom` with the epoch. An epoch the broker names no `returnsFrom`
 * for is offered from its expiry (the broker then answers `returns_not_open` if it is too early,
 * which also tells the date).
 * @module
 */
import type { ReturnDone } from '../messages.ts';
import { noteReturnsFrom, returnableEpochs, type ReturnableEpoch, type WalletDb } from '../wallet/index.ts';
import type { FundsService } from './funds.ts';

/** One expired epoch in the offer. */
export interface ReturnOffer {
  epoch: string;
  broker: string;
  coins: number;
  /** The same, in mills (1 coin = 1 mill). */
  mills: number;
  /** From when the broker takes the return (ISO 8601); absent when it could not be asked. */
  returnsFrom?: string;
  /** Returns are open now: the return can be made. */
  open: boolean;
}

/** What the popup may offer: the epochs, and what the open ones add up to. */
export interface ReturnsOffer {
  epochs: ReturnOffer[];
  /** Coins that can be returned now, across open epochs. */
  coins: number;
  mills: number;
}

/** What one click returned, epoch by epoch. */
export interface ReturnsClaimed {
  results: (ReturnDone & { epoch: string; broker: string })[];
  returned: number;
  creditedMills: number;
}

/** GET as the offer needs it (the global `fetch`, or a test double). */
export type EpochFetch = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

/** How long the broker's epoch API gets to answer. */
export const EPOCH_LOOKUP_TIMEOUT_MS = 5_000;

const originOf = (url: string): string => new URL(url).origin;

/** The `returnsFrom` of the broker's answer to `GET /api/epochs/:id`, if it names a date. */
export function returnsFromOfEpochAnswer(body: string): string | undefined {
  try {
    const epoch = (JSON.parse(body) as { epoch?: { returnsFrom?: unknown } }).epoch;
    const at = epoch?.returnsFrom;
    return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? new Date(at).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

/** The offer and the one-click return. */
export class ExpiredReturns {
  constructor(
    private readonly db: WalletDb,
    private readonly funds: Pick<FundsService, 'returnEpoch'>,
    private readonly fetchFn: EpochFetch = (url, init) => fetch(url, init),
  ) {}

  /** Asks the broker when returns of `e` open; undefined when it cannot say (nothing stored then). */
  private async lookUp(e: ReturnableEpoch): Promise<string | undefined> {
    try {
      const res = await this.fetchFn(`${originOf(e.broker)}/api/epochs/${encodeURIComponent(e.epoch)}`, {
        method: 'GET',
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(EPOCH_LOOKUP_TIMEOUT_MS),
      });
      const at = res.ok ? returnsFromOfEpochAnswer(await res.text()) : undefined;
      if (at) await noteReturnsFrom(this.db, e.epoch, at);
      return at;
    } catch {
      return undefined;
    }
  }

  /**
   * The expired epochs with coins left, each with when its returns open (asked of the broker the
   * first time), and what can be returned now.
   * @example
   * const offer = await returns.offer(); // { coins: 59, mills: 59, epochs: [{ epoch, open: true, ... }] }
   */
  async offer(now = Date.now()): Promise<ReturnsOffer> {
    const epochs: ReturnOffer[] = [];
    for (const e of await returnableEpochs(this.db, now)) {
      const returnsFrom = e.returnsFrom ?? (await this.lookUp(e));
      const opensAt = Date.parse(returnsFrom ?? e.expiresAt);
      epochs.push({
        epoch: e.epoch,
        broker: e.broker,
        coins: e.coins,
        mills: e.coins,
        ...(returnsFrom ? { returnsFrom } : {}),
        open: now >= opensAt,
      });
    }
    const open = epochs.filter((e) => e.open);
    const coins = open.reduce((n, e) => n + e.coins, 0);
    return { epochs, coins, mills: coins };
  }

  /**
   * Returns the coins of every epoch whose returns are open (or only of `only`): one Request-Credit
   * per epoch to its broker's `/api/credit`, as for a broker page's Send-Expired.
   */
  async claim(only?: readonly string[], now = Date.now()): Promise<ReturnsClaimed> {
    const userId = (await this.db.get('meta', 'userId'))?.value;
    const offer = await this.offer(now);
    const results: ReturnsClaimed['results'] = [];
    for (const e of offer.epochs) {
      if (!e.open || !userId || (only && !only.includes(e.epoch))) continue;
      const done = await this.funds.returnEpoch({
        broker: e.broker,
        userId,
        epoch: e.epoch,
        returnUrl: `${originOf(e.broker)}/api/credit`,
      });
      results.push({ ...done, epoch: e.epoch, broker: e.broker });
    }
    return {
      results,
      returned: results.reduce((n, r) => n + r.returned, 0),
      creditedMills: results.reduce((n, r) => n + r.creditedMills, 0),
    };
  }
}
