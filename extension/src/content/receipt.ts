/**
 * The receipt after a payment: a small toast in the page's corner, "Paid 2 coins (0.2¢) to
 * shop.example" (or "Paid 1 link (0.1¢) to ..." for a PayWord chain), that fades after a few
 * seconds. It is a status message (`role="status"`, read out politely by screen readers), takes no
 * focus, lets clicks through, and sits in a fixed, open shadow root (`#micromint-receipt`, like the
 * prompt and notices) so it neither shifts the page's layout nor takes the page's styles.
 *
 * The host stays in the page once faded (`data-state="faded"`, not displayed) until the next
 * receipt replaces it: nothing of the page moves when it goes.
 * @module
 */
import { formatPrice } from '@micromint/shared';
import type { PaidReceipt } from '../messages.ts';
import { siteName } from '../ui/site.ts';

/** Element id of the receipt. */
export const RECEIPT_ID = 'micromint-receipt';
/** How long the receipt is shown before it fades. */
export const RECEIPT_SHOWN_MS = 5000;
/** How long the fade takes. */
const FADE_MS = 600;

const STYLE = `
  :host { all: initial; position: fixed; z-index: 2147483646; right: 20px; bottom: 20px; pointer-events: none; }
  :host([data-state="faded"]) { display: none; }
  .toast { display: flex; align-items: center; gap: 8px; max-width: 320px; padding: 8px 14px 8px 10px;
    font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #fffaf0; background: #2b2118;
    border-radius: 999px; box-shadow: 0 6px 18px rgba(40, 25, 0, .28);
    opacity: 1; transition: opacity ${FADE_MS}ms ease; }
  :host([data-state="fading"]) .toast { opacity: 0; }
  .coin { width: 16px; height: 16px; border-radius: 50%; flex: none;
    background: radial-gradient(circle at 35% 35%, #fde08a, #f0b73c 60%, #b07010); box-shadow: inset 0 0 0 1.5px #b07010; }
  @media (prefers-reduced-motion: reduce) { .toast { transition: none; } }
`;

/**
 * The receipt's words.
 * @example
 * receiptText({ url, vendorId: 'https://shop.example', mills: 2, units: 2, unit: 'coin' }); // 'Paid 2 coins (0.2¢) to shop.example'
 */
export const receiptText = (r: PaidReceipt): string => `Paid ${formatPrice(r.mills, r.unit, r.units)} to ${siteName(r.vendorId)}`;

/** Timers the receipt uses (tests pass their own). */
export interface ReceiptTimers {
  setTimeout: (f: () => void, ms: number) => unknown;
}

/**
 * Shows the receipt of a payment in the page; it fades by itself.
 * @example
 * showReceipt({ url: location.href, vendorId: location.origin, mills: 2, units: 2, unit: 'coin' });
 */
export function showReceipt(r: PaidReceipt, doc: Document = document, timers: ReceiptTimers = globalThis): HTMLElement {
  doc.getElementById(RECEIPT_ID)?.remove();
  const host = doc.createElement('div');
  host.id = RECEIPT_ID;
  Object.assign(host.dataset, { state: 'shown', mills: String(r.mills), units: String(r.units), unit: r.unit, vendorId: r.vendorId });
  const root = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = STYLE;
  const toast = doc.createElement('div');
  toast.className = 'toast';
  toast.setAttribute('role', 'status');
  const coin = doc.createElement('span');
  coin.className = 'coin';
  coin.setAttribute('aria-hidden', 'true');
  const text = doc.createElement('span');
  toast.append(coin, text);
  root.append(style, toast);
  (doc.body ?? doc.documentElement).append(host);
  // The live region is in the page before its words change, so screen readers announce them.
  timers.setTimeout(() => (text.textContent = receiptText(r)), 50);
  timers.setTimeout(() => (host.dataset.state = 'fading'), RECEIPT_SHOWN_MS);
  timers.setTimeout(() => (host.dataset.state = 'faded'), RECEIPT_SHOWN_MS + FADE_MS);
  return host;
}
