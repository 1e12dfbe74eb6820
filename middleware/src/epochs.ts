/**
 * The epochs a vendor accepts: either one given in the options, or the broker's current epoch,
 * fetched from `GET /api/epochs/current` on first need and cached. The broker is asked again at
 * most once per refresh interval, and only when a payment names an epoch we do not know or the
 * cached one has expired, so a vendor makes no broker call per request.
 * @module
 */
import { coinVerifier, epochFromJson, isExpired, type CoinCheck, type EpochParams } from '@micromint/shared';
import { BrokerUnavailableError, NoCurrentEpochError } from './errors.ts';

/** Verifies one coin of an epoch for a user (see `coinVerifier`). */
export type Verifier = (coin: Uint8Array, userId: string) => CoinCheck;

const FETCH_TIMEOUT_MS = 5_000;

/** Known epochs and the current one, with their coin verifiers. */
export class EpochSource {
  private readonly known = new Map<string, EpochParams>();
  private readonly verifiers = new Map<string, Verifier>();
  private currentId: string | undefined;
  private lastFetch = -Infinity;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly broker: string,
    private readonly vendorId: string,
    private readonly fixed: EpochParams | undefined,
    private readonly refreshMs: number,
  ) {
    if (fixed) this.remember(fixed);
  }

  /**
   * The epoch to ask payment in. Throws {@link BrokerUnavailableError} when it was never fetched
   * and the broker does not answer, {@link NoCurrentEpochError} when the newest epoch known has expired.
   */
  async current(now = Date.now()): Promise<EpochParams> {
    if (!this.fixed) {
      if (this.currentId === undefined) await this.refresh(true);
      else if (isExpired(this.epoch(this.currentId), now)) await this.refresh(false).catch(() => undefined);
    }
    const epoch = this.epoch(this.currentId!);
    if (isExpired(epoch, now))
      throw new NoCurrentEpochError(`epoch ${epoch.id} expired at ${epoch.expiresAt} and the broker has no newer one yet`);
    return epoch;
  }

  /** The epoch named `id`, asking the broker for its current epoch if `id` is unknown (rate-limited). */
  async find(id: string): Promise<EpochParams | undefined> {
    if (!this.known.has(id) && !this.fixed) await this.refresh(this.currentId === undefined).catch(() => undefined);
    return this.known.get(id);
  }

  /** The cached coin verifier of a known epoch for this vendor. */
  verifier(epoch: EpochParams): Verifier {
    let v = this.verifiers.get(epoch.id);
    if (!v) {
      v = coinVerifier(epoch, this.vendorId);
      this.verifiers.set(epoch.id, v);
    }
    return v;
  }

  private epoch(id: string): EpochParams {
    return this.known.get(id)!;
  }

  private remember(epoch: EpochParams): void {
    const old = this.known.get(epoch.id);
    // A broker must never change an epoch's key; if it did, old verifiers are wrong.
    if (old && (old.expiresAt !== epoch.expiresAt || Buffer.compare(old.key, epoch.key) !== 0)) this.verifiers.delete(epoch.id);
    this.known.set(epoch.id, epoch);
    this.currentId = epoch.id;
  }

  /** Fetches the current epoch; `force` ignores the rate limit (nothing cached yet). */
  private async refresh(force: boolean): Promise<void> {
    if (this.inflight) return this.inflight;
    if (!force && performance.now() - this.lastFetch < this.refreshMs) return;
    this.lastFetch = performance.now();
    this.inflight = this.fetchCurrent().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchCurrent(): Promise<void> {
    const url = `${this.broker}/api/epochs/current`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (e) {
      throw new BrokerUnavailableError(`cannot reach the MicroMint broker at ${url}: ${describe(e)}`, { cause: e });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new BrokerUnavailableError(`the MicroMint broker answered ${res.status} for ${url}: it has no current epoch`);
    }
    let epoch: EpochParams;
    try {
      const body = (await res.json()) as { epoch?: unknown };
      epoch = epochFromJson(body.epoch);
    } catch (e) {
      throw new BrokerUnavailableError(`the MicroMint broker sent no valid epoch at ${url}: ${describe(e)}`, { cause: e });
    }
    this.remember(epoch);
  }
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
