/**
 * The navigation flow of the tests: a `PaymentFlow` over a wallet database, with settings, a
 * session area and a fake retrier of its own (the DNR rules and reloads it would make are recorded
 * in `fake.calls`). Anything of `FlowDeps` can be given to replace the default.
 */
import { ChallengeStore } from '../../src/background/challenges.ts';
import { PaymentFlow, type FlowDeps } from '../../src/background/payment-flow.ts';
import { RetryBook } from '../../src/background/receipts.ts';
import { DEFAULT_SCHEMES } from '../../src/background/schemes/registry.ts';
import { SettingsStore, type Settings } from '../../src/background/settings.ts';
import { memoryArea, type KeyValueArea } from '../../src/background/storage-area.ts';
import { importFunds, openWallet, type WalletDb } from '../../src/wallet/index.ts';
import { fakeRetrier } from './fakes.ts';
import type { EpochParams, SuperbinSet } from '@micromint/shared';
import { BROKER, freshDbName, fundsText } from './mint.ts';

/** Options of {@link testFlow}: settings beside the broker's URL, a retrier that fails to reload, deps to replace. */
export interface TestFlowOptions extends Partial<Omit<FlowDeps, 'db' | 'settings' | 'challenges' | 'retries' | 'retrier'>> {
  /** The autopay threshold in mills (default: the settings' own). */
  threshold?: number;
  /** More settings (the broker's URL is always `BROKER`). */
  settings?: Partial<Settings>;
  /** The settings store (default: {@link testSettings} of `threshold` and `settings`). */
  store?: SettingsStore;
  /** The session area (default: a fresh one). */
  session?: KeyValueArea;
  /** The fake retrier's reloads fail (the tab is gone). */
  failNavigate?: boolean;
}

/**
 * Settings of the tests: the broker `BROKER`, the autopay threshold `threshold` when given, and `more`.
 * @example
 * const settings = await testSettings(1000);
 */
export async function testSettings(threshold?: number, more: Partial<Settings> = {}): Promise<SettingsStore> {
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, ...(threshold !== undefined ? { autopayThreshold: threshold } : {}), ...more });
  return settings;
}

/**
 * A payment flow over `db`.
 * @example
 * const { flow, fake } = await testFlow(db, { threshold: 5 });
 */
export async function testFlow(db: WalletDb, o: TestFlowOptions = {}) {
  const { threshold, settings: more, store, session: given, failNavigate, ...deps } = o;
  const settings = store ?? (await testSettings(threshold, more));
  const session = given ?? memoryArea();
  const fake = fakeRetrier(failNavigate ? { failNavigate } : {});
  const flow = new PaymentFlow({
    db,
    settings,
    challenges: new ChallengeStore(session),
    retries: new RetryBook(session),
    retrier: fake.retrier,
    schemes: DEFAULT_SCHEMES,
    ...deps,
  });
  return { flow, settings, session, fake };
}

/**
 * A fresh wallet database named after `label`, holding `sets` of `epoch`.
 * @example
 * const db = await fundedWallet('budget-flow', epoch, sets);
 */
export async function fundedWallet(label: string, epoch: EpochParams, sets: SuperbinSet[]): Promise<WalletDb> {
  const db = await openWallet(freshDbName(label));
  await importFunds(db, fundsText(epoch, sets));
  return db;
}
