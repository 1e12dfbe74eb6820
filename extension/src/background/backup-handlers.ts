/**
 * The handlers of the backup and returns messages (issue 10), built in one place so the worker's
 * entry wires them with one line:
 *
 *     const handlers: Handlers = { ..., ...backupHandlers({ db, settings, area, funds, refreshBadge }) };
 *
 * All of them come from the extension's own pages only (the router checks it).
 * @module
 */
import type { WalletDb } from '../wallet/index.ts';
import { BackupService } from './backup-service.ts';
import { ExpiredReturns } from './expired-returns.ts';
import type { FundsService } from './funds.ts';
import type { Handlers } from './router.ts';
import type { SettingsStore } from './settings.ts';
import type { KeyValueArea } from './storage-area.ts';

/** The backup and returns message types. */
export type BackupMessageType = 'backup-export' | 'backup-last' | 'backup-import' | 'returns-offer' | 'returns-claim';

/** What the handlers need from the worker. */
export interface BackupDeps {
  db: WalletDb;
  settings: SettingsStore;
  /** The area the settings are kept in (`storage.local`). */
  area: KeyValueArea;
  funds: Pick<FundsService, 'returnEpoch'>;
  /** Redraws the badge after the wallet's money changed. */
  refreshBadge: () => unknown;
}

/**
 * The backup and returns handlers. Every one that changes the wallet's money redraws the badge.
 * @example
 * const handlers: Handlers = { ...coreHandlers, ...backupHandlers({ db, settings, area: browser.storage.local, funds, refreshBadge }) };
 */
export function backupHandlers(d: BackupDeps): Pick<Handlers, BackupMessageType> {
  const backups = new BackupService(d.db, d.settings, d.area);
  const returns = new ExpiredReturns(d.db, d.funds);
  const thenBadge = async <T>(work: Promise<T>): Promise<T> => {
    const value = await work;
    void d.refreshBadge();
    return value;
  };
  return {
    'backup-export': (body) => thenBadge(backups.export(body.passphrase)),
    'backup-last': () => backups.last(),
    'backup-import': (body) => thenBadge(backups.import(body.file, body.passphrase)),
    'returns-offer': () => returns.offer(),
    'returns-claim': (body) =>
      thenBadge(returns.claim(Array.isArray(body.epochs) ? body.epochs.filter((e): e is string => typeof e === 'string') : undefined)),
  };
}
