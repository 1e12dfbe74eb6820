/**
 * The options page's backup dialog (a module of its own on options.html): moving the wallet into a
 * file sealed with a passphrase (asked twice, with a strength hint), downloading it (again), and
 * importing a file with its passphrase, with a summary of what came in. The worker does the work
 * (`backup-export`, `backup-last`, `backup-import`); key derivation takes a second or two, so the
 * dialog shows what it is doing meanwhile.
 * @module
 */
import { formatMoney, formatPrice, fromBase64, toBase64 } from '@micromint/shared';
import browser from 'webextension-polyfill';
import type { BackupMade, BackupRestored } from '../background/backup-service.ts';
import { ReplyError, send, type Message } from '../messages.ts';
import { passphraseProblem, passphraseStrength } from './passphrase.ts';

const transport = (m: Message) => browser.runtime.sendMessage(m);
const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => byId<HTMLInputElement>(id);

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "60 coins (6¢)", "60 coins (6¢) and 1 chain holding 4.8¢". */
function contents(coins: number, chains: number, chainsMills: number): string {
  const coinWords = formatPrice(coins);
  return chains ? `${coinWords} and ${plural(chains, 'chain')} holding ${formatMoney(chainsMills)}` : coinWords;
}

/** The settings an import can fill in, as the page names them (others by their key). */
const SETTING_WORDS: Record<string, string> = {
  brokerUrl: 'the broker',
  userId: 'your user ID',
  autopayThreshold: 'the autopay threshold',
  showReceipts: 'receipts on the page',
  chainsEnabled: 'paying with chains',
  openChainAfterPages: 'when a chain is opened',
  chainLinks: 'the links in a new chain',
  maxHeldMills: 'the most held in chains',
  chainLifetimeSeconds: 'how long a chain pays',
};

/** Shows (or, with `text` undefined, hides) the progress line. */
function progress(text?: string): void {
  byId('backup-progress').hidden = text === undefined;
  byId('backup-progress-text').textContent = text ?? '';
  for (const id of ['backup-make', 'backup-import-button']) byId<HTMLButtonElement>(id).disabled = text !== undefined;
}

function fail(id: 'backup-error' | 'backup-import-error', e: unknown): void {
  const box = byId(id);
  box.textContent = (e as Error).message;
  box.dataset.code = e instanceof ReplyError && e.code ? e.code : 'error';
}

function clearErrors(): void {
  for (const id of ['backup-error', 'backup-import-error']) {
    byId(id).textContent = '';
    delete byId(id).dataset.code;
  }
}

let downloadUrl: string | undefined;

/** Points the download link at `made`'s file and, when `now`, downloads it at once. */
function offerDownload(made: BackupMade, now: boolean): void {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([new Uint8Array(fromBase64(made.file))], { type: 'application/octet-stream' }));
  const link = byId<HTMLAnchorElement>('backup-download');
  link.href = downloadUrl;
  link.download = made.fileName;
  link.textContent = `Download ${made.fileName} again`;
  byId('backup-last').hidden = false;
  byId('backup-last-text').textContent =
    `Your last backup, made ${new Date(made.createdAt).toLocaleString()}, holds ${contents(made.coins, made.chains, made.chainsMills)}.`;
  if (now) link.click();
}

function strengthHint(): void {
  const s = passphraseStrength(input('backup-passphrase').value);
  const meter = byId<HTMLMeterElement>('backup-strength');
  meter.value = s.score;
  meter.dataset.score = String(s.score);
  byId('backup-strength-text').textContent = input('backup-passphrase').value ? `Strength: ${s.words}` : '';
}

async function makeBackup(event: Event): Promise<void> {
  event.preventDefault();
  clearErrors();
  const passphrase = input('backup-passphrase').value;
  const problem = passphraseProblem(passphrase, input('backup-passphrase-again').value);
  if (problem) return fail('backup-error', new Error(problem));
  progress('Making a key from your passphrase and sealing the file (a second or two)…');
  try {
    const made = await send(transport, 'backup-export', { passphrase });
    const done = byId('backup-done');
    done.dataset.coins = String(made.coins);
    done.dataset.chains = String(made.chains);
    done.textContent = `Moved ${contents(made.coins, made.chains, made.chainsMills)} into ${made.fileName} (${Math.ceil(made.bytes / 1024)} kB). This browser no longer spends them: import the file, with its passphrase, in the browser that should.`;
    input('backup-passphrase').value = '';
    input('backup-passphrase-again').value = '';
    strengthHint();
    offerDownload(made, true);
  } catch (e) {
    fail('backup-error', e);
  } finally {
    progress();
  }
}

/** The summary of an import, in words. */
function importWords(r: BackupRestored): string {
  if (r.alreadyImported && r.coins === 0 && r.chains === 0) return 'This file was imported here before: nothing was added.';
  if (r.coins === 0 && r.chains === 0)
    return 'Nothing in this file could be added: its coins and chains were spent or moved on, or it is this wallet\u2019s own backup.';
  const parts = [`Imported ${contents(r.coins, r.chains, r.chainsMills)}`];
  if (r.history) parts.push(`${r.history} history ${r.history === 1 ? 'entry' : 'entries'}`);
  if (r.notAdded) parts.push(`${plural(r.notAdded, 'coin')} left out (spent or moved on)`);
  const named = r.settings.filter((k) => k !== 'userIdFrom').map((k) => SETTING_WORDS[k] ?? k);
  const settings = named.length ? ` Taken from the file: ${named.join(', ')}.` : '';
  return `${parts.join(', ')}.${settings}`;
}

async function importBackup(event: Event): Promise<void> {
  event.preventDefault();
  clearErrors();
  const file = input('backup-file').files?.[0];
  if (!file) return fail('backup-import-error', new Error('choose a backup file first'));
  progress('Opening the file with your passphrase (a second or two)…');
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const restored = await send(transport, 'backup-import', { file: toBase64(bytes), passphrase: input('backup-import-passphrase').value });
    const box = byId('backup-imported');
    box.hidden = false;
    box.dataset.coins = String(restored.coins);
    box.dataset.chains = String(restored.chains);
    box.dataset.already = String(restored.alreadyImported);
    box.textContent = importWords(restored);
    input('backup-import-passphrase').value = '';
  } catch (e) {
    fail('backup-import-error', e);
  } finally {
    progress();
  }
}

byId('backup-export-form').addEventListener('submit', (e) => void makeBackup(e));
byId('backup-import-form').addEventListener('submit', (e) => void importBackup(e));
input('backup-passphrase').addEventListener('input', strengthHint);
for (const id of ['backup-passphrase', 'backup-passphrase-again'])
  input(id).addEventListener('input', () => {
    byId('backup-error').textContent = '';
    delete byId('backup-error').dataset.code;
  });
send(transport, 'backup-last', {}).then(
  (made) => made && offerDownload(made, false),
  () => undefined,
);
