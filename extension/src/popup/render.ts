/**
 * Draws the wallet summary into the popup (the thesis's printwallet, made visual).
 * @module
 */
import type { MessageMap } from '../messages.ts';

type Summary = MessageMap['wallet-summary']['reply'];

/** Dollars of `coins` (1 coin = 1 mill = $0.001). */
export const dollars = (coins: number): string => `$${(coins / 1000).toFixed(3)}`;

/** "just now", "5 min ago", "3 h ago", or a date. */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

/** Fills the popup from a summary. */
export function renderSummary(s: Summary, now = Date.now()): void {
  const balance = byId('balance');
  balance.textContent = String(s.balance);
  balance.removeAttribute('data-loading');
  byId('dollars').textContent = `${dollars(s.balance)} · 1 coin = $0.001`;

  const current = s.epochs.find((e) => !e.expired) ?? s.epochs[0];
  const epoch = byId('epoch');
  if (current) {
    const p = current.params;
    epoch.textContent = `Epoch ${current.id} · ${current.expired ? 'expired' : 'expires'} ${new Date(current.expiresAt).toLocaleString()} · t${p.t} u${p.u} v${p.v} k${p.k}`;
    epoch.dataset.epoch = current.id;
  } else {
    epoch.textContent = 'No epoch yet';
  }
  // The broker refused a return as too early: say when it takes them.
  const returns = byId('returns-open');
  const opens = current?.returnsFrom && Date.parse(current.returnsFrom) > now ? current.returnsFrom : undefined;
  returns.hidden = !opens;
  returns.textContent = opens ? `Returns of this epoch open ${new Date(opens).toLocaleString()}` : '';
  if (opens) returns.dataset.returnsFrom = opens;
  else delete returns.dataset.returnsFrom;

  byId('empty').hidden = s.sets.length > 0;
  byId('sets-section').hidden = s.sets.length === 0;
  byId('sets-count').textContent = s.sets.length ? `(${s.sets.length})` : '';
  const sets = byId('sets');
  sets.replaceChildren(
    ...s.sets.map((set) => {
      const li = el('li', set.expired ? 'expired' : undefined);
      li.dataset.setId = set.id;
      li.dataset.unspent = String(set.unspent);
      const top = el('div', 'top');
      top.append(el('span', undefined, `Superbin ${set.superbins[0]} · ${set.epoch}`), el('strong', undefined, `${set.unspent} / ${set.total}`));
      const meter = el('div', 'meter');
      meter.setAttribute('role', 'img');
      meter.setAttribute('aria-label', `${set.unspent} of ${set.total} coins unspent`);
      for (const part of ['unspent', 'spent', 'returned'] as const) {
        const bar = el('span', part);
        bar.style.width = `${set.total ? (100 * set[part]) / set.total : 0}%`;
        meter.append(bar);
      }
      const detail = [`superbins ${set.superbins.join(', ')}`, set.spent ? `${set.spent} spent` : '', set.returned ? `${set.returned} returned` : '', set.expired ? 'expired' : '']
        .filter(Boolean)
        .join(' · ');
      li.append(top, el('div', 'bins', detail), meter);
      return li;
    }),
  );

  const payments = byId('payments');
  byId('no-payments').hidden = s.payments.length > 0;
  payments.replaceChildren(
    ...s.payments.map((p) => {
      const li = el('li');
      li.dataset.url = p.url;
      li.dataset.status = p.state;
      li.dataset.price = String(p.price);
      const url = el('span', 'url', shortUrl(p.url));
      url.title = p.url;
      const pill = el('span', `pill ${p.state}`, p.state);
      if (p.error) pill.title = p.error;
      li.append(url, el('span', 'price', `${p.price} ${p.price === 1 ? 'coin' : 'coins'}`), el('span', 'when', ago(p.createdAt, now)), pill);
      return li;
    }),
  );

  byId('user-id').textContent = s.userId ?? 'none';
  byId('threshold').textContent = String(s.autopayThreshold);
  byId<HTMLAnchorElement>('open-broker').href = s.brokerUrl;
}
