/**
 * The keys of the `payword` scheme at a vendor, all kept in the vendor's store:
 *
 * - the vendor's X25519 key pair, made on first use (its public half is offered in every payword
 *   challenge, and the MAC key of each chain is agreed with its secret half);
 * - its registration at the broker, `PUT /api/vendors/payword-key` (the broker authorizes chains
 *   only to the registered key), sent once per process, at start-up, retried while it fails;
 * - the broker's payword terms from `GET /api/payword`, fetched once: its Ed25519 key verifies
 *   authorizations offline, and `clearGraceSeconds` says until when chains can be cleared.
 *
 * Payword is offered once the broker has the vendor's key (in this process, or durably recorded
 * before) and the vendor has the broker's: a restart while the broker is down still takes chains.
 * Broker failures are logged once per outage and never block a free page.
 * @module
 */
import type { PaywordInfo } from '@micromint/shared';
import { agreementPublicKey, equalBytes, fromBase64, MAX_LINK_VALUE, newAgreementKey, toBase64 } from '@micromint/shared';
import { BrokerUnavailableError } from '../errors.ts';
import type { StoreGuard } from '../guard.ts';
import type { MicroMintLogger } from '../options.ts';
import type { PaywordStore } from '../payword-store.ts';

/** The broker's payword terms (`GET /api/payword`). */
export type BrokerPaywordTerms = PaywordInfo;

/** Names under which the store keeps the payword keys. */
export const KEY_NAMES = {
  vendorKey: 'payword.vendor-key',
  brokerTerms: (broker: string) => `payword.broker ${broker}`,
  registered: (broker: string) => `payword.registered ${broker}`,
} as const;

const FETCH_TIMEOUT_MS = 5_000;

/**
 * Reads the broker's `GET /api/payword` answer.
 * @throws TypeError / RangeError when it is not the contract's shape.
 */
export function readBrokerTerms(json: unknown): BrokerPaywordTerms {
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) throw new TypeError('the payword terms are not an object');
  for (const f of ['broker', 'network', 'brokerKey'] as const) if (typeof o[f] !== 'string') throw new TypeError(`${f} must be a string`);
  for (const f of ['maxLength', 'maxValue', 'maxExpirySeconds', 'clearGraceSeconds'] as const)
    if (!Number.isSafeInteger(o[f]) || (o[f] as number) < 0) throw new TypeError(`${f} must be a whole number`);
  if (fromBase64(o.brokerKey as string).length !== 32) throw new RangeError('brokerKey must be 32 bytes');
  const { broker, network, brokerKey, maxLength, maxValue, maxExpirySeconds, clearGraceSeconds } = o as unknown as BrokerPaywordTerms;
  return { broker, network, brokerKey, maxLength, maxValue, maxExpirySeconds, clearGraceSeconds };
}

/** The terms kept in `store` for `broker`, without asking the broker (for redemption warnings). */
export async function keptBrokerTerms(store: Partial<PaywordStore>, broker: string): Promise<BrokerPaywordTerms | undefined> {
  const json = store.loadKey ? await store.loadKey(KEY_NAMES.brokerTerms(broker)) : undefined;
  try {
    return json ? readBrokerTerms(JSON.parse(json)) : undefined;
  } catch {
    return undefined;
  }
}

/** An X25519 key pair. */
export interface AgreementKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** What {@link PaywordKeys} works with. */
export interface PaywordKeysOptions {
  store: PaywordStore;
  guard: StoreGuard;
  broker: string;
  vendorId: string;
  apiKey: string;
  linkValue: number;
  logger: MicroMintLogger;
  /** Least milliseconds between two attempts at the broker while it fails. */
  refreshMs: number;
}

/** The vendor's payword keys and the broker's, kept in the store; see the module comment. */
export class PaywordKeys {
  private vendor: Promise<AgreementKey> | undefined;
  private terms: BrokerPaywordTerms | undefined;
  /** The broker confirmed our key, in this process or (durably) before. */
  private registered = false;
  private registeredHere = false;
  private restored: Promise<void> | undefined;
  private inflight: Promise<void> | undefined;
  private lastAttempt = -Infinity;
  private failing = false;
  private unusable = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: PaywordKeysOptions) {}

  /** Starts registration at the broker in the background (logged, never thrown). */
  start(): void {
    this.refresh(true).catch(() => undefined);
  }

  /** Stops talking to the broker (in-flight calls are aborted, nothing more is written). */
  close(): void {
    this.abort.abort();
  }

  /** The vendor's X25519 key pair: the one kept in the store, or a new one kept there now. */
  vendorKey(): Promise<AgreementKey> {
    this.vendor ??= this.loadVendorKey().catch((e: unknown) => {
      this.vendor = undefined; // a store that failed is asked again next time
      throw e;
    });
    return this.vendor;
  }

  /** True when payword can be offered: the broker has our key and we have its key and terms. Asks the broker (rate-limited) when not. */
  async ready(): Promise<boolean> {
    await this.restore();
    if (!this.registeredHere || !this.terms) await this.refresh(false).catch(() => undefined);
    return this.registered && this.terms !== undefined && !this.unusable;
  }

  /** The broker's Ed25519 key, asking the broker (rate-limited) if it was never fetched. */
  async brokerKey(): Promise<Uint8Array | undefined> {
    await this.restore();
    if (!this.terms) await this.refresh(false).catch(() => undefined);
    return this.terms ? fromBase64(this.terms.brokerKey) : undefined;
  }

  private async loadVendorKey(): Promise<AgreementKey> {
    const fresh = newAgreementKey();
    const json = JSON.stringify({
      secretKey: toBase64(fresh.secretKey),
      publicKey: toBase64(fresh.publicKey),
      createdAt: new Date().toISOString(),
    });
    // Kept unless a key is there already (another request or instance made it first): one key for all.
    const kept = await this.o.guard.run('saveKey', () => this.o.store.saveKey(KEY_NAMES.vendorKey, json));
    const { secretKey, publicKey } = JSON.parse(kept) as { secretKey: string; publicKey: string };
    const key = { secretKey: fromBase64(secretKey), publicKey: fromBase64(publicKey) };
    if (!equalBytes(agreementPublicKey(key.secretKey), key.publicKey)) throw new Error('the vendor key kept in the store is damaged');
    return key;
  }

  /** Loads what the store kept of the broker, once. */
  private restore(): Promise<void> {
    this.restored ??= (async () => {
      const { store, guard, broker } = this.o;
      const terms = await guard.run('loadKey', () => store.loadKey(KEY_NAMES.brokerTerms(broker)), false);
      if (terms) this.useTerms(readBrokerTerms(JSON.parse(terms)));
      if (this.abort.signal.aborted) return; // closed meanwhile: the store may be gone
      const key = await this.vendorKey();
      const reg = await guard.run('loadKey', () => store.loadKey(KEY_NAMES.registered(broker)), false);
      if (reg && (JSON.parse(reg) as { key?: string }).key === toBase64(key.publicKey)) this.registered = true;
    })().catch((e: unknown) => {
      this.restored = undefined;
      throw e;
    });
    return this.restored;
  }

  /** One attempt at the broker for what is missing; `force` ignores the rate limit. */
  private refresh(force: boolean): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.abort.signal.aborted || (!force && performance.now() - this.lastAttempt < this.o.refreshMs)) return Promise.resolve();
    this.lastAttempt = performance.now();
    this.inflight = this.attempt()
      .then(
        () => {
          if (this.failing) this.o.logger.warn(`micromint: payword: the broker ${this.o.broker} has this vendor's key; chains are taken`);
          this.failing = false;
        },
        (e: unknown) => {
          if (!this.failing && !this.abort.signal.aborted)
            this.o.logger.warn(`micromint: payword is not offered yet: ${(e as Error).message}; asking the broker again later`);
          this.failing = true;
          throw e;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async attempt(): Promise<void> {
    await this.restore();
    if (this.abort.signal.aborted) return; // closed meanwhile: the store may be gone
    const { store, guard, broker } = this.o;
    if (!this.terms) {
      const terms = readBrokerTerms(await this.call('GET', '/api/payword'));
      if (this.abort.signal.aborted) return;
      const kept = await guard.run('saveKey', () => store.saveKey(KEY_NAMES.brokerTerms(broker), JSON.stringify(terms)));
      this.useTerms(readBrokerTerms(JSON.parse(kept)));
    }
    if (!this.registeredHere) {
      const key = toBase64((await this.vendorKey()).publicKey);
      const answer = (await this.call('PUT', '/api/vendors/payword-key', { key })) as { vendorId?: unknown; key?: unknown } | null;
      if (answer?.key !== key || answer.vendorId !== this.o.vendorId)
        throw new BrokerUnavailableError(
          `the broker registered ${String(answer?.key)} for ${String(answer?.vendorId)}, not this vendor's key`,
        );
      if (this.abort.signal.aborted) return;
      await guard.run('saveKey', () => store.saveKey(KEY_NAMES.registered(broker), JSON.stringify({ key, at: new Date().toISOString() })));
      this.registered = this.registeredHere = true;
    }
  }

  private useTerms(terms: BrokerPaywordTerms): void {
    this.terms = terms;
    if (terms.broker.replace(/\/+$/, '') !== this.o.broker)
      this.o.logger.warn(
        `micromint: payword: the broker calls itself ${terms.broker}, not ${this.o.broker}: it will refuse chains that name ${this.o.broker}`,
      );
    if (this.o.linkValue > Math.min(terms.maxValue, MAX_LINK_VALUE)) {
      this.unusable = true;
      this.o.logger.error(
        `micromint: payword is not offered: linkValue ${this.o.linkValue} is above the broker's maxValue ${terms.maxValue} mills`,
      );
    }
  }

  /** A JSON call to the broker; throws {@link BrokerUnavailableError} for anything but a 200 with JSON. */
  private async call(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    const url = `${this.o.broker}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(method === 'PUT' ? { authorization: `Bearer ${this.o.apiKey}`, 'content-type': 'application/json' } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
      });
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new BrokerUnavailableError(`cannot reach the broker at ${url} (${cause})`, { cause: e });
    }
    const text = await res.text().catch(() => '');
    if (res.status !== 200)
      throw new BrokerUnavailableError(
        `the broker answered ${res.status} to ${method} ${url}${res.status === 401 ? ' (check apiKey)' : ''}`,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BrokerUnavailableError(`the broker's answer to ${method} ${url} is not JSON`);
    }
  }
}
