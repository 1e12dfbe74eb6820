/**
 * The options page: broker URL, autopay threshold (money), receipts on the page and the PayWord
 * chain policy, checked here field by field (fields.ts) and again by the worker, saved with
 * `settings-set`; the user id, shown as the broker gave it (it is not editable); and the wallet's
 * chains, read with `chains-list`.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import browser from 'webextension-polyfill';
import { ReplyError, send, type Message } from '../messages.ts';
import type { Settings } from '../background/settings.ts';
import type { ChainListing } from '../wallet/summary.ts';
import { until } from '../popup/render.ts';
import { siteName } from '../ui/site.ts';
import { chainSizeHint, FieldError, INPUT_OF, parseMoney, toForm, toSettings, type FormValues } from './fields.ts';

const transport = (m: Message) => browser.runtime.sendMessage(m);
const input = (id: string) => document.getElementById(id) as HTMLInputElement;
const select = (id: string) => document.getElementById(id) as HTMLSelectElement;
const saved = document.getElementById('saved')!;

const TEXT_FIELDS = ['brokerUrl', 'threshold', 'openChainAfterPages', 'chainLinks', 'maxHeldMills', 'chainLifetime'] as const;
const CHECKBOXES = ['showReceipts', 'showPriceHints', 'chainsEnabled'] as const;

function read(): FormValues {
  const v = Object.fromEntries(TEXT_FIELDS.map((id) => [id, input(id).value])) as Record<(typeof TEXT_FIELDS)[number], string>;
  const checks = Object.fromEntries(CHECKBOXES.map((id) => [id, input(id).checked])) as Record<(typeof CHECKBOXES)[number], boolean>;
  return { ...v, ...checks, chainLifetimeUnit: select('chainLifetimeUnit').value };
}

/** The user id as the broker gave it, and where it came from. */
function showUser(s: Settings): void {
  document.getElementById('userId')!.textContent = s.userId || 'none yet';
  document.getElementById('userId-from')!.textContent = !s.userId
    ? 'Your broker gives it with the first coins you buy, or when you connect this wallet on its account page.'
    : `Given by your broker${s.userIdFrom ? `, ${siteName(s.userIdFrom)}` : ''}: your coins are made for this user. It cannot be changed here.`;
}

function fill(s: Settings): void {
  const v = toForm(s);
  for (const id of TEXT_FIELDS) input(id).value = v[id];
  for (const id of CHECKBOXES) input(id).checked = v[id];
  showUser(s);
  select('chainLifetimeUnit').value = v.chainLifetimeUnit;
  policyState();
  // Saving is possible once the form shows the stored settings (a save before would send blanks).
  (document.getElementById('save') as HTMLButtonElement).disabled = false;
  document.getElementById('settings')!.dataset.loaded = 'true';
}

/** Dims the chain fields while chains are off, and keeps the size hint in step with the inputs. */
function policyState(): void {
  document.getElementById('chain-policy')!.classList.toggle('off', !input('chainsEnabled').checked);
  document.getElementById('chain-size-hint')!.textContent = chainSizeHint(
    Number(input('chainLinks').value),
    parseMoney(input('maxHeldMills').value),
  );
}

function showFieldError(field: string | undefined, message: string): void {
  for (const p of document.querySelectorAll<HTMLElement>('.field-error')) p.textContent = p.dataset.for === field ? message : '';
  for (const i of document.querySelectorAll('input, select')) i.removeAttribute('aria-invalid');
  const id = field ? (INPUT_OF[field as keyof Settings] ?? field) : undefined;
  const bad = id ? document.getElementById(id) : null;
  if (bad) {
    bad.setAttribute('aria-invalid', 'true');
    bad.focus();
  }
}

function chainRow(c: ChainListing, now: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.chainId = c.chainId;
  tr.dataset.status = c.status;
  tr.dataset.vendorId = c.vendorId;
  tr.dataset.used = String(c.used);
  tr.dataset.heldMills = String(c.heldMills);
  const cells = [
    c.vendorId,
    c.status + (c.error ? ` (${c.error})` : ''),
    `${c.used} of ${c.length}`,
    formatMoney(c.heldMills),
    c.status === 'open' ? until(Date.parse(c.expiresAt), now) : new Date(c.expiresAt).toLocaleString(),
  ];
  cells.forEach((text, i) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (i === 2 || i === 3) td.className = 'r';
    if (i === 4) td.title = new Date(c.expiresAt).toLocaleString();
    tr.append(td);
  });
  tr.title = `chain ${c.chainId}: ${formatMoney(c.value)} a link`;
  return tr;
}

/** The chains table and the connection line (nothing here is needed to save settings). */
async function showChains(): Promise<void> {
  const now = Date.now();
  const [chains, summary] = await Promise.all([send(transport, 'chains-list', {}), send(transport, 'wallet-summary', {})]);
  document.getElementById('chains-list')!.replaceChildren(...chains.map((c) => chainRow(c, now)));
  (document.getElementById('chains-table') as HTMLTableElement).hidden = chains.length === 0;
  document.getElementById('no-chains')!.hidden = chains.length > 0;
  const broker = summary.brokerUrl.replace(/\/+$/, '');
  const connection = summary.connections.find((c) => c.broker.replace(/\/+$/, '') === broker);
  const line = document.getElementById('connection')!;
  line.dataset.state = connection?.connected ? 'connected' : 'not-connected';
  line.textContent = connection?.connected
    ? `This wallet is connected to ${broker} as ${connection.userId ?? 'you'}: it may open chains on that account. Open chains hold ${formatMoney(summary.chainsMills)}.`
    : `This wallet is not connected to ${broker}: connect it on the broker's account page ("Connect this browser's wallet") to pay with chains.`;
}

document.getElementById('settings')!.addEventListener('submit', async (event) => {
  event.preventDefault();
  saved.textContent = '';
  let change: Partial<Settings>;
  try {
    change = toSettings(read());
  } catch (e) {
    if (e instanceof FieldError) return showFieldError(e.field, e.message);
    throw e;
  }
  try {
    fill(await send(transport, 'settings-set', change));
    showFieldError(undefined, '');
    saved.textContent = 'Saved';
    void showChains().catch(() => undefined);
  } catch (e) {
    const err = e as ReplyError;
    showFieldError(err.field ?? 'brokerUrl', err.message);
  }
});

for (const id of ['chainsEnabled', 'chainLinks', 'maxHeldMills']) input(id).addEventListener('input', policyState);

send(transport, 'settings-get', {}).then(fill, (e: Error) => showFieldError('brokerUrl', e.message));
showChains().catch((e: Error) => {
  document.getElementById('connection')!.textContent = `The wallet's chains could not be read: ${e.message}`;
});
