/**
 * The options page: broker URL, user id and autopay threshold, validated by the worker.
 * @module
 */
import browser from 'webextension-polyfill';
import { ReplyError, send, type Message } from '../messages.ts';
import type { Settings } from '../background/settings.ts';

const transport = (m: Message) => browser.runtime.sendMessage(m);
const input = (id: string) => document.getElementById(id) as HTMLInputElement;
const saved = document.getElementById('saved')!;

function fill(s: Settings): void {
  input('brokerUrl').value = s.brokerUrl;
  input('userId').value = s.userId;
  input('threshold').value = String(s.autopayThreshold);
}

function showFieldError(field: string | undefined, message: string): void {
  for (const p of document.querySelectorAll<HTMLElement>('.field-error')) p.textContent = p.dataset.for === field ? message : '';
  for (const i of document.querySelectorAll('input')) i.removeAttribute('aria-invalid');
  const id = field === 'autopayThreshold' ? 'threshold' : field;
  if (id) input(id).setAttribute('aria-invalid', 'true');
}

document.getElementById('settings')!.addEventListener('submit', async (event) => {
  event.preventDefault();
  saved.textContent = '';
  const raw = input('threshold').value.trim();
  const change: Partial<Settings> = {
    brokerUrl: input('brokerUrl').value,
    userId: input('userId').value,
    autopayThreshold: raw === '' ? Number.NaN : Number(raw),
  };
  try {
    fill(await send(transport, 'settings-set', change));
    showFieldError(undefined, '');
    saved.textContent = 'Saved';
  } catch (e) {
    const err = e as ReplyError;
    showFieldError(err.field ?? 'brokerUrl', err.message);
  }
});

send(transport, 'settings-get', {}).then(fill, (e: Error) => showFieldError('brokerUrl', e.message));
