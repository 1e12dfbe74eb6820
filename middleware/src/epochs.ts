/**
 * The epochs a vendor accepts: either one given in the options, or the broker's current epoch,
 * fetched from `GET /api/epochs/current` on first need and cached. The broker is asked again at
 * most once per refresh interval, and only when a payment names an epoch we do not know, the
 * cached one has expired, or none was fetched since this process started, so a vendor makes no
 * broker call per request.
 *
 * Every epoch fetched is also kept in the vendor's store (parameters and key): a vendor restarted
 * while the broker is down still verifies coins of the epochs it knew, and asks payment in the
 * newest of them that has not expired, until the broker answers again.
 * @module
 */
import { coinVerifier, epochFromJson, epochToJson, isExpired, type CoinCheck, type EpochParams } from '@micromint/shared';
import { BrokerUnavailableError, NoCurrentEpochError } from './errors.ts';
import type { StoredEpoch } from './store.ts';

/** Verifies one coin of an epoch for a user (see `coinVerifier`). */
export type Verifier = (coin: Uint8Array, userId: string) => CoinCheck;

/** An epoch with the dates a broker may add to it (kept when present, ignored when not dates). */
export type KnownEpoch = EpochParams & { redeemBy?: string; returnsFrom?: string };

/** Where fetched epochs are kept across restarts (the vendor's store). Failures are the caller's to report. */
export interface EpochArchive {
  load(): Promise<StoredEpoch[]>;
  save(epoch: StoredEpoch): Promise<void>;
}

const FETCH_TIMEOUT_MS = 5_000;

/**
 * Reads an epoch's JSON (the broker's or the store's) with `epochFromJson`, tolerating the
 * broker's optional policy dates: `returnsFrom`, then `redeemBy`, is dropped when it does not
 * validate, since a vendor only warns with them and must not stop taking payments over one.
 * Unknown fields are ignored.
 */
export function epochOfJson(json: unknown): KnownEpoch {
  try {
    return epochFromJson(json);
  } catch (e) {
    if (typeof json !== 'object' || json === null) throw e;
    const { returnsFrom, redeemBy, ...core } = json as Record<string, unknown>;
    if (returnsFrom === undefined && redeemBy === undefined) throw e;
    if (returnsFrom !== undefined && redeemBy !== undefined) {
      try {
        return epochFromJson({ ...core, redeemBy });
      } catch {
        // redeemBy is wrong too
      }
    }
    return epochFromJson(core);
  }
}

/** The JSON form a store keeps. */
export const storedEpoch = (e: KnownEpoch): StoredEpoch => ({
  ...epochToJson(e),
  ...(e.redeemBy ? { redeemBy: e.redeemBy } : {}),
  ...(e.returnsFrom ? { returnsFrom: e.returnsFrom } : {}),
});

/** Known epochs and the current one, with their coin verifiers. */
export class EpochSource {
  private readonly known = new Map<string, KnownEpoch>();
  private readonly verifiers = new Map<string, Verifier>();
  private currentId: string | undefined;
  /** True once the broker answered in this process. */
  private fetched = false;
  private lastFetch = -Infinity;
  private inflight: Promise<void> | undefined;
  private restored = false;
  private restoring: Promise<void> | undefined;
  private readonly archive: EpochArchive | undefined;
  private readonly now: () => number;

  constructor(
    private readonly broker: string,
    private readonly vendorId: string,
    private readonly fixed: EpochParams | undefined,
    private readonly refreshMs: number,
    o: { archive?: EpochArchive; now?: () => number } = {},
  ) {
    this.archive = o.archive;
    this.now = o.now ?? Date.now;
    if (fixed) this.remember(fixed);
  }

  /**
   * The epoch to ask payment in. Throws {@link BrokerUnavailableError} when none is known and the
   * broker does not answer, {@link NoCurrentEpochError} when the newest epoch known has expired.
   */
  async current(now = this.now()): Promise<KnownEpoch> {
    if (!this.fixed) {
      await this.restore();
      if (this.currentId === undefined) await this.refresh(true);
      else if (!this.fetched || isExpired(this.epoch(this.currentId), now)) await this.refresh(false).catch(() => undefined);
    }
    const epoch = this.epoch(this.currentId!);
    if (isExpired(epoch, now))
      throw new NoCurrentEpochError(`epoch ${epoch.id} expired at ${epoch.expiresAt} and the broker has no newer one yet`);
    return epoch;
  }

  /** The epoch named `id`, asking the broker for its current epoch if `id` is unknown (rate-limited). */
  async find(id: string): Promise<KnownEpoch | undefined> {
    await this.restore();
    if (!this.known.has(id) && !this.fixed) await this.refresh(this.currentId === undefined).catch(() => undefined);
    return this.known.get(id);
  }

  /** Every epoch known here (given, fetched or kept in the store), without asking the broker. */
  async all(): Promise<KnownEpoch[]> {
    await this.restore();
    return [...this.known.values()];
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

  private epoch(id: string): KnownEpoch {
    return this.known.get(id)!;
  }

  /** Whether `epoch` differs from the one known under its id (new, or changed by the broker). */
  private changed(epoch: KnownEpoch): boolean {
    const old = this.known.get(epoch.id);
    if (!old) return true;
    const sameKey = old.expiresAt === epoch.expiresAt && Buffer.compare(old.key, epoch.key) === 0;
    return !sameKey || old.redeemBy !== epoch.redeemBy || old.returnsFrom !== epoch.returnsFrom;
  }

  private remember(epoch: KnownEpoch): void {
    const old = this.known.get(epoch.id);
    // A broker must never change an epoch's key; if it did, old verifiers are wrong.
    if (old && (old.expiresAt !== epoch.expiresAt || Buffer.compare(old.key, epoch.key) !== 0)) this.verifiers.delete(epoch.id);
    this.known.set(epoch.id, epoch);
    this.currentId = epoch.id;
  }

  /**
   * Loads the epochs kept in the store, once (again on the next need if the store failed). The
   * newest of them that has not expired is current until the broker names its own.
   */
  private async restore(): Promise<void> {
    if (this.restored || this.fixed || !this.archive) return;
    this.restoring ??= (async () => {
      try {
        for (const json of await this.archive!.load()) {
          let epoch: KnownEpoch;
          try {
            epoch = epochOfJson(json);
          } catch {
            continue; // a row this code cannot read is not an epoch it can verify coins of
          }
          if (!this.known.has(epoch.id)) this.known.set(epoch.id, epoch);
        }
        this.restored = true;
        if (this.currentId === undefined) {
          const live = [...this.known.values()].filter((e) => !isExpired(e, this.now()));
          live.sort((a, b) => Date.parse(b.expiresAt) - Date.parse(a.expiresAt));
          this.currentId = live[0]?.id;
        }
      } catch {
        // The store is failing (and says so in the log): work from the broker alone for now.
      } finally {
        this.restoring = undefined;
      }
    })();
    return this.restoring;
  }

  /** Fetches the current epoch; `force` ignores the rate limit (nothing known yet). */
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
    let epoch: KnownEpoch;
    try {
      const body = (await res.json()) as { epoch?: unknown };
      epoch = epochOfJson(body.epoch);
    } catch (e) {
      throw new BrokerUnavailableError(`the MicroMint broker sent no valid epoch at ${url}: ${describe(e)}`, { cause: e });
    }
    const changed = this.changed(epoch);
    this.remember(epoch);
    this.fetched = true;
    // Kept before a coin of it is taken, so a restart can verify such coins offline. A store
    // that fails here is reported by the archive; the epoch still serves this process.
    if (changed && this.archive) await this.archive.save(storedEpoch(epoch)).catch(() => undefined);
  }
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
