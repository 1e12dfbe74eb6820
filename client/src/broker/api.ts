/**
 * The broker's JSON API as the client calls it: the token API (docs/protocol.md, API tokens:
 * `/api/me`, `/api/sets`, `/api/withdrawals`, `/api/wallet-keys`, `/api/history`, `/api/returns`,
 * `DELETE /api/token`), the PayWord routes that take no credentials (`GET /api/payword`,
 * `POST /api/payword/chains`, 12.5) and returns (`POST /api/credit`, 10). Every failure is a
 * {@link BrokerError} with the broker's code, or `broker-unreachable` / `bad-broker-answer`.
 * @module
 */
import { astring, fromBase64, type PaywordInfo } from '@micromint/shared';
import { BrokerError } from '../errors.ts';

/** The fetch the client calls (the global one, or a test's). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** `GET /api/me`. */
export interface Me {
  userId: string;
  email: string;
  broker: string;
  balanceMills: number;
  maxSetsPerPurchase: number;
  epoch: { id: string; expiresAt: string } | null;
  walletKeys: string[];
  token: { id: string; name: string; limitMills: number | null; spentMills: number; leftMills: number | null };
}

/** A purchase (`POST /api/sets`, `GET /api/withdrawals/:id`). */
export interface PurchaseAnswer {
  withdrawalId: string;
  epoch: string;
  sets: number;
  coins: number;
  priceMills: number;
  createdAt: string;
  balanceMills?: number;
  /** The Funds-Withdrawn message. */
  message: string;
}

/** One entry of the account's ledger. */
export interface LedgerEntry {
  id: number;
  amountMills: number;
  kind: string;
  ref?: string;
  memo: string;
  createdAt: string;
}

/** One epoch of `GET /api/returns`. */
export interface ReturnWindow {
  epoch: string;
  returnsFrom: string;
  open: boolean;
  sendExpired: string | null;
}

/** How a request for chain authorization ended: authorized, refused (a 4xx: nothing held), or unknown (ask again with the same bytes). */
export type AuthorizeResult =
  | { kind: 'authorized'; chainId: string; authorization: Uint8Array; heldMills: number; balanceMills: number }
  | { kind: 'refused'; error: BrokerError }
  | { kind: 'unknown'; error: BrokerError };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The broker, at its base URL. */
export class BrokerClient {
  readonly base: string;

  /**
   * @param broker - the broker's base URL
   * @param token - an API token (`mmt_...`) for the token API; the PayWord and credit routes need none
   * @example
   * const broker = new BrokerClient('http://127.0.0.1:4000', process.env.MICROMINT_TOKEN);
   * const me = await broker.me();
   */
  constructor(
    broker: string,
    private readonly token?: string,
    private readonly fetchFn: FetchLike = (input, init) => fetch(input, init),
    private readonly timeoutMs = 30_000,
  ) {
    astring(broker, 'broker', 2048);
    const url = new URL(broker);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError('the broker must be an http(s) URL');
    this.base = broker.replace(/\/+$/, '');
  }

  /** Sends a request to a path of the broker (or an absolute URL); resolves with the status and the JSON body. */
  private async send(path: string, init: RequestInit & { auth?: boolean }): Promise<{ status: number; body: unknown }> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    if (init.auth) {
      if (!this.token) throw new BrokerError('not-logged-in', 'no API token: run `micromint-wallet login` first', 0);
      headers.set('authorization', `Bearer ${this.token}`);
    }
    let res: Response;
    try {
      res = await this.fetchFn(/^https?:/.test(path) ? path : this.base + path, {
        ...init,
        headers,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new BrokerError('broker-unreachable', `the broker ${this.base} could not be reached (${cause})`, 0);
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  }

  /** The broker's JSON error as a {@link BrokerError}. */
  private static error(status: number, body: unknown): BrokerError {
    const b = isObject(body) ? body : {};
    const code = typeof b.error === 'string' && /^[a-z0-9_-]{1,64}$/.test(b.error) ? b.error : `http-${status}`;
    const message = typeof b.message === 'string' ? b.message.slice(0, 500) : `the broker answered ${status}`;
    const { error: _e, message: _m, ...detail } = b;
    return new BrokerError(code, message, status, detail);
  }

  /** A JSON call that must answer one of `ok`; its body otherwise becomes the error. */
  private async call(path: string, init: RequestInit & { auth?: boolean }, ok: number[] = [200]): Promise<Record<string, unknown>> {
    const { status, body } = await this.send(path, init);
    if (!ok.includes(status)) throw BrokerClient.error(status, body);
    if (!isObject(body) && status !== 204) throw new BrokerError('bad-broker-answer', `the broker's answer to ${path} is not JSON`, status);
    return isObject(body) ? body : {};
  }

  private static json(body: unknown): RequestInit {
    return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }

  /** `GET /api/me`: the token's user, balance and limit. */
  async me(): Promise<Me> {
    const b = await this.call('/api/me', { auth: true });
    if (typeof b.userId !== 'string' || !Number.isSafeInteger(b.balanceMills))
      throw new BrokerError('bad-broker-answer', 'the broker\u2019s /api/me is not the contract\u2019s shape', 200);
    return b as unknown as Me;
  }

  /** `POST /api/sets`: buys `count` sets under the idempotency key `requestId`. */
  async buySets(count: number, requestId: string): Promise<PurchaseAnswer> {
    return BrokerClient.purchase(await this.call('/api/sets', { ...BrokerClient.json({ count, requestId }), auth: true }, [200, 201]));
  }

  /** `GET /api/withdrawals/:id`: a purchase again, with its message. */
  async withdrawal(id: string): Promise<PurchaseAnswer> {
    return BrokerClient.purchase(await this.call(`/api/withdrawals/${encodeURIComponent(id)}`, { auth: true }));
  }

  private static purchase(b: Record<string, unknown>): PurchaseAnswer {
    if (typeof b.withdrawalId !== 'string' || typeof b.message !== 'string')
      throw new BrokerError('bad-broker-answer', 'the broker\u2019s purchase carries no Funds-Withdrawn message', 200);
    return b as unknown as PurchaseAnswer;
  }

  /** `POST /api/wallet-keys`: connects the wallet's Ed25519 key (base64) to the account. */
  async connectWalletKey(walletKey: string): Promise<{ added: boolean }> {
    const b = await this.call('/api/wallet-keys', { ...BrokerClient.json({ walletKey }), auth: true }, [200, 201]);
    return { added: b.added === true };
  }

  /** `GET /api/history`: the account's ledger, newest first. */
  async history(limit = 50): Promise<{ balanceMills: number; entries: LedgerEntry[] }> {
    const b = await this.call(`/api/history?limit=${limit}`, { auth: true });
    return { balanceMills: b.balanceMills as number, entries: Array.isArray(b.entries) ? (b.entries as LedgerEntry[]) : [] };
  }

  /** `GET /api/returns`: per epoch bought in, whether returns are open and the Send-Expired when they are. */
  async returns(): Promise<ReturnWindow[]> {
    const b = await this.call('/api/returns', { auth: true });
    return Array.isArray(b.returns) ? (b.returns as ReturnWindow[]) : [];
  }

  /** `DELETE /api/token`: revokes the token. */
  async revoke(): Promise<void> {
    await this.call('/api/token', { method: 'DELETE', auth: true }, [204]);
  }

  /** `GET /api/payword`: the broker's chain terms and key. */
  async paywordInfo(): Promise<PaywordInfo> {
    const b = await this.call('/api/payword', { method: 'GET' });
    const key = typeof b.brokerKey === 'string' ? safeBytes(b.brokerKey) : undefined;
    for (const f of ['maxLength', 'maxValue', 'maxExpirySeconds', 'clearGraceSeconds'] as const)
      if (!Number.isSafeInteger(b[f]) || (b[f] as number) < (f === 'clearGraceSeconds' ? 0 : 1))
        throw new BrokerError('bad-broker-answer', `the broker's chain terms have no ${f}`, 200);
    if (typeof b.broker !== 'string' || key?.length !== 32)
      throw new BrokerError('bad-broker-answer', 'the broker\u2019s chain terms carry no key', 200);
    return b as unknown as PaywordInfo;
  }

  /** `POST /api/payword/chains`: asks for a chain's authorization. Never throws. */
  async authorizeChain(request: { commitment: string; walletKey: string; signature: string }): Promise<AuthorizeResult> {
    let r: { status: number; body: unknown };
    try {
      r = await this.send('/api/payword/chains', BrokerClient.json(request));
    } catch (e) {
      return { kind: 'unknown', error: e as BrokerError };
    }
    const b = isObject(r.body) ? r.body : {};
    if (r.status === 200 || r.status === 201) {
      const authorization = typeof b.authorization === 'string' ? safeBytes(b.authorization) : undefined;
      if (typeof b.chainId !== 'string' || authorization?.length !== 64 || !Number.isSafeInteger(b.heldMills))
        return {
          kind: 'unknown',
          error: new BrokerError('bad-broker-answer', `the broker's answer ${r.status} is not an authorization`, r.status),
        };
      return {
        kind: 'authorized',
        chainId: b.chainId,
        authorization,
        heldMills: b.heldMills as number,
        balanceMills: b.balanceMills as number,
      };
    }
    const error = BrokerClient.error(r.status, r.body);
    return r.status >= 400 && r.status < 500 ? { kind: 'refused', error } : { kind: 'unknown', error };
  }

  /** `POST` of a Request-Credit to `returnUrl` (on this broker): the status and the JSON answer. */
  async credit(returnUrl: string, message: string): Promise<{ status: number; body: Record<string, unknown> }> {
    if (new URL(returnUrl).origin !== new URL(this.base).origin)
      throw new BrokerError('wrong-broker', `the return URL ${returnUrl} is not on the broker ${this.base}`, 0);
    const { status, body } = await this.send(returnUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-micromint' },
      body: message,
    });
    return { status, body: isObject(body) ? body : {} };
  }
}

function safeBytes(text: string): Uint8Array | undefined {
  try {
    return fromBase64(text);
  } catch {
    return undefined;
  }
}
