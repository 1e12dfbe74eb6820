/**
 * The broker's chain API as the wallet calls it (docs/protocol.md 12.5): `GET /api/payword` for
 * its terms and key, `POST /api/payword/chains` to have a commitment authorized. No cookie is
 * sent: the wallet's signature is the only authority those routes take. Every answer is checked
 * before it is believed, and every failure becomes a {@link ChainOpenError} with a code: a bad or
 * missing answer never throws anything else.
 * @module
 */
import { fromBase64, SIGNATURE_BYTES, ED25519_KEY_BYTES, CHAIN_ID_PATTERN } from '@micromint/shared';
import type { PaywordInfoRecord } from '../wallet/index.ts';

/** The fetch the client needs (the global `fetch`, or a test double). */
export type BrokerFetch = (url: string, init: RequestInit) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * Why no chain was opened. The broker's own codes (`insufficient_funds`, `wallet_not_connected`,
 * `vendor_key_mismatch`, `bad_expiry`, `rate_limited`, ...) come as the broker sent them; the
 * wallet's own are `not-connected`, `held-cap`, `broker-unreachable`, `bad-broker-answer`,
 * `wrong-broker` and `bad-authorization`.
 */
export class ChainOpenError extends Error {
  override name = 'ChainOpenError';
  constructor(
    readonly code: string,
    message: string,
    /** The broker's JSON answer, for `insufficient_funds` (`balanceMills`, `neededMills`). */
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The broker's answer to an authorization request. */
export interface Authorized {
  chainId: string;
  authorization: Uint8Array;
  heldMills: number;
  balanceMills: number;
}

/**
 * How a request for authorization ended: authorized, refused (a 4xx: the broker held nothing),
 * or unknown (no answer, a 5xx, an answer that cannot be read: the broker may have held the chain,
 * so the same request is to be sent again).
 */
export type AuthorizeResult =
  { kind: 'authorized'; answer: Authorized } | { kind: 'refused'; error: ChainOpenError } | { kind: 'unknown'; error: ChainOpenError };

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The broker's URL without trailing slashes: what its paths hang off. */
const base = (broker: string): string => broker.replace(/\/+$/, '');

function json(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function bytes(v: unknown, length: number): Uint8Array | undefined {
  if (typeof v !== 'string' || v.length > 4 * Math.ceil(length / 3) + 4) return undefined;
  try {
    const b = fromBase64(v);
    return b.length === length ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads `GET /api/payword`.
 * @throws ChainOpenError `bad-broker-answer` when it is not the contract's shape.
 */
export function readPaywordInfo(body: unknown): PaywordInfoRecord {
  const o = body as Record<string, unknown> | undefined;
  const bad = (what: string) => new ChainOpenError('bad-broker-answer', `the broker's chain terms are unreadable: ${what}`);
  if (typeof o !== 'object' || o === null) throw bad('not an object');
  for (const f of ['broker', 'network', 'brokerKey'] as const)
    if (typeof o[f] !== 'string' || (o[f] as string).length > 2048) throw bad(`${f} is not a string`);
  for (const f of ['maxLength', 'maxValue', 'maxExpirySeconds', 'clearGraceSeconds'] as const)
    if (!isCount(o[f])) throw bad(`${f} is not a whole number`);
  if (!bytes(o.brokerKey, ED25519_KEY_BYTES)) throw bad('brokerKey is not base64 of 32 bytes');
  if ((o.maxLength as number) < 1 || (o.maxValue as number) < 1 || (o.maxExpirySeconds as number) < 1) throw bad('a bound is zero');
  const { broker, network, brokerKey, maxLength, maxValue, maxExpirySeconds, clearGraceSeconds } = o as unknown as PaywordInfoRecord;
  return { broker, network, brokerKey, maxLength, maxValue, maxExpirySeconds, clearGraceSeconds };
}

/** The broker's chain API over fetch. */
export class PaywordBrokerClient {
  constructor(
    private readonly fetchFn: BrokerFetch = (url, init) => fetch(url, init),
    private readonly timeoutMs = 15_000,
  ) {}

  private async call(
    url: string,
    init: RequestInit,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined } | ChainOpenError> {
    try {
      const res = await this.fetchFn(url, {
        ...init,
        credentials: 'omit',
        cache: 'no-store',
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: res.status, body: json(await res.text()) };
    } catch (e) {
      return new ChainOpenError('broker-unreachable', `the broker could not be reached (${(e as Error)?.message ?? e})`);
    }
  }

  /**
   * The broker's chain terms and key.
   * @throws ChainOpenError `broker-unreachable` or `bad-broker-answer`.
   */
  async info(broker: string): Promise<PaywordInfoRecord> {
    const r = await this.call(`${base(broker)}/api/payword`, { method: 'GET', headers: { Accept: 'application/json' } });
    if (r instanceof ChainOpenError) throw r;
    if (r.status !== 200)
      throw new ChainOpenError(
        r.status === 404 ? 'no-chains' : 'broker-unreachable',
        `the broker answered ${r.status} to GET /api/payword`,
      );
    return readPaywordInfo(r.body);
  }

  /** Sends a request for authorization: `{ commitment, walletKey, signature }`, all base64. Never throws. */
  async authorize(broker: string, request: { commitment: string; walletKey: string; signature: string }): Promise<AuthorizeResult> {
    const r = await this.call(`${base(broker)}/api/payword/chains`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(request),
    });
    if (r instanceof ChainOpenError) return { kind: 'unknown', error: r };
    const b = r.body ?? {};
    if (r.status === 200 || r.status === 201) {
      const authorization = bytes(b.authorization, SIGNATURE_BYTES);
      if (
        typeof b.chainId !== 'string' ||
        !CHAIN_ID_PATTERN.test(b.chainId) ||
        !authorization ||
        !isCount(b.heldMills) ||
        !Number.isSafeInteger(b.balanceMills)
      )
        return {
          kind: 'unknown',
          error: new ChainOpenError('bad-broker-answer', `the broker's answer ${r.status} is not an authorization`),
        };
      return {
        kind: 'authorized',
        answer: { chainId: b.chainId, authorization, heldMills: b.heldMills as number, balanceMills: b.balanceMills as number },
      };
    }
    const code = typeof b.error === 'string' && /^[a-z0-9_-]{1,64}$/.test(b.error) ? b.error : `http-${r.status}`;
    const message = typeof b.message === 'string' ? b.message.slice(0, 500) : `the broker answered ${r.status}`;
    const detail: Record<string, unknown> = {};
    for (const f of ['balanceMills', 'neededMills', 'retryAfterSeconds'] as const) if (isCount(b[f])) detail[f] = b[f];
    const error = new ChainOpenError(code, message, detail);
    return r.status >= 400 && r.status < 500 ? { kind: 'refused', error } : { kind: 'unknown', error };
  }
}
