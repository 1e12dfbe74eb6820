/**
 * Funds delivered by the broker's pages: Funds-Withdrawn in, Send-Expired answered with a
 * Request-Credit. Both are accepted only from the configured broker's origin.
 * @module
 */
import { decodeSendExpired, MICROMINT_MIME, MessageError, type SendExpired } from '@micromint/shared';
import type { FundsStored, ReturnDone } from '../messages.ts';
import { balance, finishReturn, importFunds, prepareReturn, WalletError, type ReturnOutcome, type WalletDb } from '../wallet/index.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

/** A sender that may not deliver broker messages. */
export class ForbiddenSenderError extends Error {
  override name = 'ForbiddenSenderError';
  readonly code = 'forbidden-sender';
}

/** Fetch as the service needs it (the global `fetch`, or a test double). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; credentials: 'include' },
) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** Imports funds and returns coins on behalf of the broker's pages. */
export class FundsService {
  constructor(
    private readonly db: WalletDb,
    private readonly settings: SettingsStore,
    private readonly fetchFn: FetchLike = (url, init) => fetch(url, init),
  ) {}

  private async brokerFor(senderOrigin: string | undefined): Promise<string> {
    const origin = brokerOrigin(await this.settings.get());
    if (senderOrigin !== origin) throw new ForbiddenSenderError(`only pages of the broker ${origin} may deliver MicroMint funds`);
    return origin;
  }

  /**
   * Stores a Funds-Withdrawn embedded in a broker page; fills the user id setting if it was empty.
   * @example
   * await funds.importFromPage(text, sender.origin); // { coins: 230, imported: true, ... }
   */
  async importFromPage(text: string, senderOrigin: string | undefined): Promise<FundsStored> {
    const origin = await this.brokerFor(senderOrigin);
    const settings = await this.settings.get();
    const result = await importFunds(this.db, text, {
      brokerOrigin: origin,
      ...(settings.userId ? { expectedUserId: settings.userId } : {}),
    });
    if (!settings.userId) await this.settings.update({ userId: result.userId, userIdFrom: origin });
    return { withdrawalId: result.withdrawalId, coins: result.coins, imported: result.imported, balance: await balance(this.db) };
  }

  /**
   * Answers a Send-Expired embedded in a broker page: marks the epoch's unspent first balls returned
   * and POSTs them as a Request-Credit to the message's Return-Url (which must be on the broker).
   */
  async returnFromPage(text: string, senderOrigin: string | undefined): Promise<ReturnDone> {
    const origin = await this.brokerFor(senderOrigin);
    let request;
    try {
      request = decodeSendExpired(text);
    } catch (e) {
      if (e instanceof MessageError) throw new WalletError('invalid-message', e.message);
      throw e;
    }
    if (originOf(request.broker) !== origin || originOf(request.returnUrl) !== origin)
      throw new WalletError('wrong-broker', `the return must go to the broker ${origin}, not ${request.returnUrl}`);
    return this.returnEpoch(request);
  }

  /**
   * Returns the epoch's unspent first balls (and those of its unanswered returns) for credit: marks
   * them returned, POSTs the Request-Credit to `request.returnUrl` and records the answer. The
   * caller has checked where the request comes from (a broker page, or the wallet's own offer).
   */
  async returnEpoch(request: SendExpired): Promise<ReturnDone> {
    const prepared = await prepareReturn(this.db, request);
    if (!prepared) return { returned: 0, credited: 0, creditedMills: 0, state: 'nothing' };
    const returned = prepared.record.balls.length;
    let outcome: ReturnOutcome;
    try {
      const res = await this.fetchFn(request.returnUrl, {
        method: 'POST',
        headers: { 'Content-Type': MICROMINT_MIME, Accept: 'application/json' },
        body: prepared.message,
        credentials: 'include',
      });
      const body = await res.text();
      outcome = interpretCreditAnswer(res.status, body);
    } catch (e) {
      outcome = { kind: 'failed', error: (e as Error).message };
    }
    const done = await finishReturn(this.db, prepared.record.id, outcome);
    return {
      returned,
      credited: done.credited ?? 0,
      creditedMills: done.creditedMills ?? 0,
      state: outcome.kind === 'not-open' ? 'not-open' : done.state,
      ...(done.error ? { message: done.error } : {}),
      ...(done.returnsFrom ? { returnsFrom: done.returnsFrom } : {}),
    };
  }
}

/** The broker's error code for a return sent before the epoch's `returnsFrom`. */
export const RETURNS_NOT_OPEN = 'returns_not_open';

/**
 * Reads the broker's answer to POST /api/credit. Only a 2xx carrying the broker's JSON (whole
 * `credited` and `creditedMills`) closes the return as credited: any other 2xx (a captive portal,
 * a proxy's page) is no answer, so the return stays pending and goes out again with the next
 * Send-Expired (the broker credits a ball once, so resending is safe). A 409
 * `{ error: 'returns_not_open', returnsFrom }` is too early: nothing was credited, the coins come
 * back, and the wallet can say when returns open.
 */
export function interpretCreditAnswer(status: number, body: string): ReturnOutcome {
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the status decides
  }
  if (status >= 200 && status < 300) {
    const { credited, creditedMills } = json;
    const whole = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
    if (!whole(credited) || !whole(creditedMills)) return { kind: 'failed', error: `HTTP ${status} without the broker's answer` };
    return { kind: 'credited', credited, creditedMills };
  }
  const reason = typeof json.error === 'string' ? json.error : typeof json.message === 'string' ? json.message : `HTTP ${status}`;
  if (
    status === 409 &&
    json.error === RETURNS_NOT_OPEN &&
    typeof json.returnsFrom === 'string' &&
    !Number.isNaN(Date.parse(json.returnsFrom))
  )
    return { kind: 'not-open', error: RETURNS_NOT_OPEN, returnsFrom: new Date(json.returnsFrom).toISOString() };
  return status >= 400 && status < 500 ? { kind: 'refused', error: reason } : { kind: 'failed', error: reason };
}
