/**
 * The worker's side of backup and restore, for the options page: makes the file (moving the
 * coins and chains out of this wallet), hands the newest one out again, and imports a file with
 * the settings it carries. Files travel between the page and the worker as base64 (extension
 * messages are JSON).
 * @module
 */
import { fromBase64, toBase64 } from '@micromint/shared';
import { BackupError, MAX_BACKUP_BYTES, MAX_PASSPHRASE_LENGTH } from '../wallet/backup-file.ts';
import type { BackupPayload } from '../wallet/backup-payload.ts';
import { exportWallet, importWallet, lastBackupFile, openBackupFile, type ExportSummary, type ImportSummary } from '../wallet/backup.ts';
import type { WalletDb } from '../wallet/index.ts';
import { DEFAULT_SETTINGS, validateSettings, type Settings, type SettingsStore } from './settings.ts';
import type { KeyValueArea } from './storage-area.ts';

/** A backup file made (or made before), ready to download. */
export interface BackupMade extends ExportSummary {
  fileName: string;
  /** The file, base64. */
  file: string;
}

/** What an import did, and which settings it filled in (those this wallet never saved). */
export interface BackupRestored extends ImportSummary {
  settings: (keyof Settings)[];
}

/** `micromint-wallet-2026-11-30.mmbackup` */
export const backupFileName = (at: number): string => `micromint-wallet-${new Date(at).toISOString().slice(0, 10)}.mmbackup`;

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

/** Backup and restore for the options page. */
export class BackupService {
  constructor(
    private readonly db: WalletDb,
    private readonly settings: SettingsStore,
    /** Where the settings are stored (to tell a setting never saved from one saved at its default). */
    private readonly area: KeyValueArea,
    private readonly iterations?: number,
  ) {}

  /**
   * Makes the backup file of the whole wallet, moving its coins and open chains out of it.
   * @example
   * const made = await backups.export('correct horse battery staple'); // { fileName, file, coins, ... }
   */
  async export(passphrase: string): Promise<BackupMade> {
    const settings = await this.settings.get();
    const { file, summary } = await exportWallet(this.db, {
      passphrase,
      settings: { ...settings },
      ...(this.iterations !== undefined ? { iterations: this.iterations } : {}),
    });
    return { ...summary, fileName: backupFileName(summary.createdAt), file: toBase64(file) };
  }

  /** The newest file this wallet made, to download again (null when it made none). */
  async last(): Promise<BackupMade | null> {
    const stored = await lastBackupFile(this.db);
    if (!stored) return null;
    return { ...stored.summary, fileName: backupFileName(stored.summary.createdAt), file: toBase64(stored.file) };
  }

  /**
   * Imports a backup file: opens it with the passphrase, refuses a file of another user than this
   * wallet's (nothing changed), merges it, and fills in the settings this wallet never saved.
   * @throws BackupError (a wrong passphrase, a changed file, another user ...)
   */
  async import(file: string, passphrase: string): Promise<BackupRestored> {
    if (typeof file !== 'string' || file.length > Math.ceil(MAX_BACKUP_BYTES / 3) * 4)
      throw new BackupError('too-large', `a backup file is at most ${MAX_BACKUP_BYTES} bytes`);
    if (typeof passphrase !== 'string' || passphrase.length > MAX_PASSPHRASE_LENGTH)
      throw new BackupError('wrong-passphrase', 'the passphrase does not open this backup file; nothing was imported');
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(file);
    } catch {
      throw new BackupError('not-a-backup', 'this is not a MicroMint wallet backup file');
    }
    const payload = await openBackupFile(bytes, passphrase);
    const current = await this.settings.get();
    if (current.userId && current.userId !== payload.userId)
      throw new BackupError('wrong-user', `the backup holds coins of user ${payload.userId}; this wallet belongs to ${current.userId}`);
    const summary = await importWallet(this.db, payload);
    return { ...summary, settings: await this.fillSettings(payload, current) };
  }

  /** Saves the file's settings this wallet never saved (and has otherwise), each only if it is valid here; the user from the file when there is none. */
  private async fillSettings(p: BackupPayload, current: Settings): Promise<(keyof Settings)[]> {
    const saved = await this.area.get(SETTING_KEYS);
    const change: Partial<Settings> = {};
    for (const key of SETTING_KEYS) {
      if (saved[key] !== undefined || p.settings[key] === undefined || key === 'userId' || key === 'userIdFrom') continue;
      try {
        const valid = validateSettings({ [key]: p.settings[key] } as Partial<Settings>);
        if (valid[key] !== current[key]) Object.assign(change, valid);
      } catch {
        // a value this wallet would not take: left at its own
      }
    }
    if (!current.userId) {
      change.userId = p.userId;
      try {
        Object.assign(change, validateSettings({ userIdFrom: p.settings.userIdFrom as string }));
      } catch {
        // where the user id came from is not known
      }
    }
    if (Object.keys(change).length > 0) await this.settings.update(change);
    return Object.keys(change) as (keyof Settings)[];
  }
}
