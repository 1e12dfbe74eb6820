/**
 * Draws the wallet summary into the popup (the thesis's printwallet, made visual): what is in the
 * wallet as money, the coins left and where they are good, the open PayWord chains per site, the
 * recent payments; the epoch's parameters and the superbin sets behind a "Details" disclosure.
 * Every amount of money is shown by the project's one rule, `formatMoney` of `@micromint/shared`
 * (mills: 1 coin = 1 mill, and a link is worth its chain's value in mills), so coins and links read
 * alike.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { buyPage } from '../background/settings.ts';
import type { MessageMap } from '../messages.ts';
import { siteName } from '../ui/site.ts';

type Summary = MessageMap['wallet-summary']['reply'];
type Chain = Summary['chains'][number];

/** What the popup draws: the summary, and whether the reader lets the wallet open chains (settings). */
export type PopupData = Summary & { chainsEnabled?: boolean };

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

/** "in 40 s", "in 12 min", "in 5 h", "in 6 days", or "expired". */
export function until(at: number, now = Date.now()): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'expired';
  if (s < 90) return `in ${s} s`;
  if (s < 5400) return `in ${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} days`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The open chains grouped by site, in the order the summary lists them (soonest to expire first). */
export function chainsBySite(chains: readonly Chain[]): { vendorId: string; chains: Chain[]; heldMills: number; linksLeft: number }[] {
  const sites = new Map<string, Chain[]>();
  for (const c of chains) sites.set(c.vendorId, [...(sites.get(c.vendorId) ?? []), c]);
  return [...sites].map(([vendorId, list]) => ({
    vendorId,
    chains: list,
    heldMills: list.reduce((n, c) => n + c.heldMills, 0),
    linksLeft: list.reduce((n, c) => n + c.linksLeft, 0),
  }));
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

function setMills(e: HTMLElement, mills: number, text: string): void {
  e.dataset.mills = String(mills);
  e.textContent = text;
}

/** The chains section: one entry per site, each of its open chains with links left, money held and expiry. */
function renderChains(s: PopupData, now: number): void {
  const sites = chainsBySite(s.chains);
  byId('chains-section').hidden = false;
  byId('chains-count').textContent = s.chains.length ? `(${s.chains.length})` : '';
  byId('chains').replaceChildren(
    ...sites.map((site) => {
      const li = el('li', 'site');
      li.dataset.vendorId = site.vendorId;
      li.dataset.heldMills = String(site.heldMills);
      li.dataset.linksLeft = String(site.linksLeft);
      const top = el('div', 'top');
      const name = el('span', 'site-name', siteName(site.vendorId));
      name.title = site.vendorId;
      top.append(name, el('strong', 'held', formatMoney(site.heldMills)));
      li.append(top);
      for (const c of site.chains) {
        const row = el('div', 'chain');
        row.dataset.chainId = c.chainId;
        row.dataset.linksLeft = String(c.linksLeft);
        row.dataset.heldMills = String(c.heldMills);
        row.dataset.expiresAt = c.expiresAt;
        const expires = el('span', 'expires', `expires ${until(Date.parse(c.expiresAt), now)}`);
        expires.title = new Date(c.expiresAt).toLocaleString();
        row.append(
          el('span', 'links', `${plural(c.linksLeft, 'link')} left × ${formatMoney(c.value)}`),
          el('span', 'chain-held', formatMoney(c.heldMills)),
          expires,
        );
        row.title = `chain ${c.chainId}`;
        li.append(row);
      }
      return li;
    }),
  );
  byId('no-chains').hidden = sites.length > 0;

  // Whether the wallet can open chains: connected at the configured broker, and chains on.
  const key = s.brokerUrl.replace(/\/+$/, '');
  const connection = s.connections.find((c) => c.broker.replace(/\/+$/, '') === key);
  const line = byId('connection');
  const link = byId<HTMLAnchorElement>('connect-link');
  const state = s.chainsEnabled === false ? 'off' : connection?.connected ? 'connected' : 'not-connected';
  line.dataset.state = state;
  byId('connection-text').textContent =
    state === 'off'
      ? 'Chains are off (options): no new chain is opened.'
      : state === 'connected'
        ? `Connected to ${siteName(key)} as ${connection!.userId ?? 'you'}: sites you come back to are paid with chains.`
        : `Not connected: connect this wallet on your broker\u2019s account page to pay with chains.`;
  link.hidden = state !== 'not-connected';
  link.href = `${key}/account#wallet`;
}

/** The epoch whose coins the wallet spends now (the first that has not expired), else the newest. */
const currentEpoch = (s: PopupData) => s.epochs.find((e) => !e.expired) ?? s.epochs[0];

/** The balance card: the money in the wallet, the coins left and where they are good. */
function renderBalance(s: PopupData, now: number): void {
  const balance = byId('balance');
  balance.textContent = String(s.balance);
  balance.removeAttribute('data-loading');
  setMills(byId('total'), s.totalMills, formatMoney(s.totalMills));
  setMills(byId('dollars'), s.coinsMills, formatMoney(s.coinsMills));
  const held = byId('chains-held');
  const sites = chainsBySite(s.chains).length;
  setMills(held, s.chainsMills, `+ ${formatMoney(s.chainsMills)} in ${plural(s.chains.length, 'chain')} at ${plural(sites, 'site')}`);
  held.hidden = s.chains.length === 0;

  const current = currentEpoch(s);
  const where = byId('where');
  where.textContent = !current
    ? ''
    : current.expired
      ? `Your coins expired ${new Date(current.expiresAt).toLocaleDateString()}.`
      : `Good at any site that takes MicroMint coins from ${siteName(current.broker)}, until ${new Date(current.expiresAt).toLocaleDateString()}.`;
  where.hidden = !current;
  // The broker refused a return as too early: say when it takes them.
  const returns = byId('returns-open');
  const opens = current?.returnsFrom && Date.parse(current.returnsFrom) > now ? current.returnsFrom : undefined;
  returns.hidden = !opens;
  returns.textContent = opens ? `Returns of this epoch open ${new Date(opens).toLocaleString()}` : '';
  if (opens) returns.dataset.returnsFrom = opens;
  else delete returns.dataset.returnsFrom;
}

/** The details disclosure: the epoch and its parameters, the value of a coin, the user, the superbin sets. */
function renderDetails(s: PopupData): void {
  const current = currentEpoch(s);
  const epoch = byId('epoch');
  if (current) {
    const p = current.params;
    epoch.textContent = `Epoch ${current.id} · ${current.expired ? 'expired' : 'expires'} ${new Date(current.expiresAt).toLocaleString()} · t${p.t} u${p.u} v${p.v} k${p.k}`;
    epoch.dataset.epoch = current.id;
  } else {
    epoch.textContent = 'No epoch yet';
  }
  byId('coin-value').textContent = formatMoney(1);
  byId('user-id').textContent = s.userId ?? 'none';
  byId('sets-section').hidden = s.sets.length === 0;
  byId('sets-count').textContent = s.sets.length ? `(${s.sets.length})` : '';
  byId('sets').replaceChildren(...s.sets.map(setItem));
}

function setItem(set: PopupData['sets'][number]): HTMLLIElement {
  const li = el('li', set.expired ? 'expired' : undefined);
  li.dataset.setId = set.id;
  li.dataset.unspent = String(set.unspent);
  const top = el('div', 'top');
  top.append(
    el('span', undefined, `Superbin ${set.superbins[0]} · ${set.epoch}`),
    el('strong', undefined, `${set.unspent} / ${set.total}`),
  );
  const meter = el('div', 'meter');
  meter.setAttribute('role', 'img');
  meter.setAttribute('aria-label', `${set.unspent} of ${set.total} coins unspent`);
  for (const part of ['unspent', 'spent', 'returned'] as const) {
    const bar = el('span', part);
    bar.style.width = `${set.total ? (100 * set[part]) / set.total : 0}%`;
    meter.append(bar);
  }
  const detail = [
    `superbins ${set.superbins.join(', ')}`,
    set.spent ? `${set.spent} spent` : '',
    set.returned ? `${set.returned} returned` : '',
    set.expired ? 'expired' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  li.append(top, el('div', 'bins', detail), meter);
  return li;
}

function paymentItem(p: PopupData['payments'][number], now: number): HTMLLIElement {
  const li = el('li');
  li.dataset.url = p.url;
  li.dataset.status = p.state;
  li.dataset.price = String(p.price);
  li.dataset.scheme = p.scheme;
  const url = el('span', 'url', shortUrl(p.url));
  url.title = p.url;
  const pill = el('span', `pill ${p.state}`, p.state);
  if (p.error) pill.title = p.error;
  const price = el('span', 'price', formatMoney(p.price));
  price.title = p.scheme === 'payword' ? 'paid with the links of a chain' : `paid with ${plural(p.price, 'coin')}`;
  const when = el('span', 'when', `${ago(p.createdAt, now)} · ${p.scheme === 'payword' ? 'chain' : plural(p.price, 'coin')}`);
  li.append(url, price, when, pill);
  return li;
}

/** Fills the popup from a summary. */
export function renderSummary(s: PopupData, now = Date.now()): void {
  renderBalance(s, now);
  renderChains(s, now);
  renderDetails(s);
  byId('empty').hidden = s.sets.length > 0 || s.chains.length > 0;
  byId<HTMLAnchorElement>('buy-link').href = buyPage(s.brokerUrl);
  byId('no-payments').hidden = s.payments.length > 0;
  byId('payments').replaceChildren(...s.payments.map((p) => paymentItem(p, now)));
  setMills(byId('threshold'), s.autopayThreshold, formatMoney(s.autopayThreshold));
  byId<HTMLAnchorElement>('open-broker').href = s.brokerUrl;
}
