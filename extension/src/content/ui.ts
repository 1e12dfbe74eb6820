/**
 * The wallet's in-page UI: the payment prompt above the autopay threshold, notices, and the receipt
 * after a payment (receipt.ts), each in an open shadow root on a fixed element id so page styles
 * cannot restyle it and tests can reach it. Money is shown by the project's one rule
 * (`formatMoney`, `formatPrice` of `@micromint/shared`).
 * @module
 */
import { formatMoney, formatPrice } from '@micromint/shared';
import { siteName } from '../ui/site.ts';
import type { BudgetAllow, BudgetOver } from '../wallet/budgets.ts';
import { onUserClick } from './user-click.ts';

/** Element id of the payment prompt. */
export const PROMPT_ID = 'micromint-prompt';
/** Element id of notices (insufficient funds, refused challenges, results). */
export const NOTICE_ID = 'micromint-notice';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const STYLE = `
  :host { all: initial; position: fixed; z-index: 2147483647; right: 20px; bottom: 20px; }
  .card { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #2b2118;
    background: #fffaf0; border: 1px solid #e8c978; border-radius: 14px; padding: 16px 18px;
    width: 320px; max-width: calc(100vw - 78px); box-shadow: 0 12px 32px rgba(60, 40, 0, .25); }
  .head { display: flex; align-items: center; gap: 10px; font-weight: 650; font-size: 15px; margin-bottom: 6px; }
  .coin { width: 26px; height: 26px; border-radius: 50%; flex: none;
    background: radial-gradient(circle at 35% 35%, #fde08a, #f0b73c 60%, #b07010); box-shadow: inset 0 0 0 2px #b07010; }
  .price { font-size: 22px; font-weight: 700; margin: 4px 0 2px; }
  .muted { color: #6d5a45; font-size: 12.5px; }
  .warn { color: #9a2f12; font-size: 12.5px; margin-top: 6px; }
  .row { display: flex; gap: 8px; margin-top: 14px; justify-content: flex-end; }
  button { font: inherit; font-weight: 600; border-radius: 9px; padding: 7px 14px; cursor: pointer; border: 1px solid #c9a64e; }
  button[data-action="pay"] { background: #d89a1e; border-color: #b07a10; color: #fff; }
  button[data-action="pay"]:hover { background: #c2870f; }
  button[data-action="decline"], button[data-action="close"] { background: #fff; color: #5a4630; }
  .budget { margin-top: 8px; padding: 8px 10px; border-radius: 9px; background: #fdf0d6; color: #5a4630; font-size: 12.5px; }
  button[data-action="allow"] { display: block; width: 100%; margin-top: 12px; background: #2f7a45; border-color: #23603a; color: #fff; }
  button[data-action="allow"]:hover { background: #256a3b; }
  button:disabled { opacity: .6; cursor: default; }
  a { color: #8a5a00; }
`;

function mount(id: string, build: (card: HTMLElement) => void): { host: HTMLElement; root: ShadowRoot } {
  document.getElementById(id)?.remove();
  const host = document.createElement('div');
  host.id = id;
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = STYLE;
  const card = document.createElement('div');
  card.className = 'card';
  card.setAttribute('role', 'dialog');
  card.setAttribute('aria-live', 'polite');
  build(card);
  root.append(style, card);
  (document.body ?? document.documentElement).append(host);
  return { host, root };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string>, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function head(title: string): HTMLElement {
  const h = el('div', { class: 'head' });
  h.append(el('span', { class: 'coin', 'aria-hidden': 'true' }), el('span', {}, title));
  return h;
}

/** What the prompt shows (money in mills: 1 coin = 1 mill). */
export interface PromptInfo {
  price: number;
  vendorId: string;
  threshold: number;
  balance: number;
  /** The vendor's reason when it refused the last payment for this page. */
  refusal?: string;
  /** `payword` when a PayWord chain would pay; coins otherwise. */
  scheme?: string;
  /** The budget this payment would pass: the prompt says so and offers "Allow … up to …". */
  budget?: BudgetOver;
}

/** The reader's answer: pay (once), decline, or allow the budget offered and pay. */
export type PromptAnswer = 'pay' | 'decline' | 'allow';

/** Says yes for the open prompt, as its "pay" button does; set while a prompt is open. */
let payOpen: (() => void) | undefined;

/**
 * Answers the open prompt with "pay", as its button does (the paywall's own pay button, clicked by
 * the reader while the prompt is up). False when no prompt is up.
 */
export function payOpenPrompt(): boolean {
  if (!isPromptOpen()) return false;
  payOpen?.(); // unset once "pay" was pressed: it is paying already
  return true;
}

/** True while the payment prompt is up (waiting for the reader, or paying). */
export const isPromptOpen = (): boolean => document.getElementById(PROMPT_ID) !== null;

/** The price as the prompt words it: coins with their money, or the money a chain's links pay. */
const priceText = (info: PromptInfo): string =>
  info.scheme === 'payword' ? `${formatMoney(info.price)} from a PayWord chain` : formatPrice(info.price);

/**
 * The budget offered with a prompt, as the "allow" answer sets it: the suggested limit, for the
 * site (its budget's period) or for the whole wallet (monthly).
 * @example
 * await send(transport, 'pay-confirm', { url, ...(answer === 'allow' ? { allow: budgetAllow(verdict)! } : {}) });
 */
export const budgetAllow = (info: Pick<PromptInfo, 'budget'>): BudgetAllow | undefined =>
  info.budget ? { scope: info.budget.scope, period: info.budget.period, limit: info.budget.suggested } : undefined;

/** "Allow shop.example up to 1¢ a day", or for the whole wallet "Allow up to $2.00 a month at all sites". */
export const allowText = (b: BudgetOver): string =>
  b.scope === 'wallet'
    ? `Allow up to ${formatMoney(b.suggested)} a month at all sites`
    : `Allow ${siteName(b.site)} up to ${formatMoney(b.suggested)} a ${b.period}`;

/** The budget line: which budget the payment would pass, and how much of it is spent. */
function budgetLine(b: BudgetOver): HTMLElement {
  const whose = b.scope === 'wallet' ? 'your wallet\u2019s budget' : `your budget for ${siteName(b.site)}`;
  const line = el(
    'div',
    { class: 'budget', 'data-scope': b.scope, 'data-limit': String(b.limit), 'data-spent': String(b.spent) },
    `This would pass ${whose}: ${formatMoney(b.spent)} of ${formatMoney(b.limit)} a ${b.period} spent.`,
  );
  return line;
}

/** Why the prompt asks, besides a budget: the threshold (when above it), and what the wallet holds. */
const limitText = (info: PromptInfo): string =>
  info.price > info.threshold
    ? `Above your autopay limit of ${formatMoney(info.threshold)}. Your wallet holds ${formatMoney(info.balance)}.`
    : `Your wallet holds ${formatMoney(info.balance)}.`;

/**
 * Asks whether to pay `price`; resolves with the user's answer. With a budget passed
 * (`info.budget`) it also offers "Allow <site> up to <amount> a <day|month>" (`allow`: set that
 * budget and pay, in one click). The prompt stays up (buttons disabled) after "pay" or "allow"
 * until the page navigates, and is removed on "decline".
 * @example
 * if ((await askToPay({ price: 8, vendorId, threshold: 5, balance: 200 })) === 'pay') ...
 */
export function askToPay(info: PromptInfo): Promise<PromptAnswer> {
  return new Promise((resolve) => {
    const { host, root } = mount(PROMPT_ID, (card) => {
      card.append(
        head('MicroMint payment'),
        el('div', { class: 'muted' }, `${siteName(info.vendorId)} asks`),
        el('div', { class: 'price', 'data-price': String(info.price) }, priceText(info)),
        el('div', { class: 'muted' }, limitText(info)),
      );
      if (info.budget) card.append(budgetLine(info.budget));
      if (info.refusal) card.append(el('div', { class: 'warn' }, `The site refused the last payment for this page (${info.refusal}).`));
      if (info.budget)
        card.append(
          el(
            'button',
            {
              'data-action': 'allow',
              type: 'button',
              'data-scope': info.budget.scope,
              'data-period': info.budget.period,
              'data-limit': String(info.budget.suggested),
            },
            allowText(info.budget),
          ),
        );
      const row = el('div', { class: 'row' });
      row.append(
        el('button', { 'data-action': 'decline', type: 'button' }, 'Decline'),
        el(
          'button',
          { 'data-action': 'pay', type: 'button' },
          info.scheme === 'payword' ? `Pay ${formatMoney(info.price)}` : `Pay ${plural(info.price, 'coin')}`,
        ),
      );
      card.append(row);
    });
    const answer = (what: 'pay' | 'allow') => () => {
      payOpen = undefined;
      root.querySelectorAll('button').forEach((b) => (b.disabled = true));
      root.querySelector(`[data-action="${what}"]`)!.textContent = 'Paying…';
      resolve(what);
    };
    const pay = answer('pay');
    payOpen = pay;
    // Only a person may say yes: the page's scripts can reach this open shadow root.
    onUserClick(root.querySelector('[data-action="pay"]')!, pay);
    const allow = root.querySelector('[data-action="allow"]');
    if (allow) onUserClick(allow, answer('allow'));
    root.querySelector('[data-action="decline"]')!.addEventListener('click', () => {
      payOpen = undefined;
      host.remove();
      resolve('decline');
    });
  });
}

/** Removes the prompt, if shown. */
export const closePrompt = (): void => {
  payOpen = undefined;
  document.getElementById(PROMPT_ID)?.remove();
};

/** A line of a notice: text, or text with a link (opened in a new tab: the page stays). */
export type NoticeLine = string | { text: string; link: { href: string; text: string } };

function noticeLine(line: NoticeLine): HTMLElement {
  if (typeof line === 'string') return el('div', { class: 'muted' }, line);
  const div = el('div', { class: 'muted' }, line.text);
  div.append(el('a', { href: line.link.href, target: '_blank', rel: 'noopener' }, line.link.text));
  return div;
}

/** Shows a notice with a title and lines of text; it stays until closed. */
export function showNotice(title: string, lines: NoticeLine[], kind: string): HTMLElement {
  const { host, root } = mount(NOTICE_ID, (card) => {
    card.dataset.kind = kind;
    card.append(head(title), ...lines.map(noticeLine));
    const row = el('div', { class: 'row' });
    row.append(el('button', { 'data-action': 'close', type: 'button' }, 'Close'));
    card.append(row);
  });
  host.dataset.kind = kind;
  root.querySelector('[data-action="close"]')!.addEventListener('click', () => host.remove());
  return host;
}

/** The notice for a price the wallet cannot pay this vendor; it says where more coins are bought. */
export function showInsufficient(v: {
  price: number;
  vendorId: string;
  held: number;
  makeable: number;
  code?: string;
  reason?: string;
  scheme?: string;
  buyAt?: string;
}): HTMLElement {
  // A site that takes only chains: say why no chain could be had (not connected, cap, broker...).
  if (v.scheme === 'payword' && v.reason)
    return showNotice(
      'MicroMint could not open a PayWord chain',
      [`This page costs ${formatMoney(v.price)}, paid with links of a chain at ${siteName(v.vendorId)}.`, v.reason],
      'insufficient',
    );
  return showNotice(
    'Not enough MicroMint coins',
    [
      `This page needs ${formatPrice(v.price)}.`,
      `Your wallet holds ${plural(v.held, 'coin')}; ${v.makeable} of them can be made for ${siteName(v.vendorId)}.`,
      v.buyAt
        ? { text: 'Buy more coins at your broker: ', link: { href: v.buyAt, text: siteName(v.buyAt) } }
        : 'Buy more coins at your broker.',
    ],
    'insufficient',
  );
}
