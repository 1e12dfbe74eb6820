/**
 * The price marker on a link dearer than the reader's autopay threshold: a small superscript chip
 * ("0.8¢") at the end of the link, in an open shadow root so the page's styles cannot restyle it.
 * It says the price as people read it (`formatMoney`), and to screen readers that the wallet asks
 * before paying. Cheap links get no marker: they look like links.
 * @module
 */
import { formatMoney } from '@micromint/shared';

/** Class of the chip's host element (a `span` inside the link). */
export const CHIP_CLASS = 'micromint-price';
/** The link attribute that carries a known price in mills (cheap or dear). */
export const PRICE_ATTRIBUTE = 'data-micromint-price';

const STYLE = `
  :host { all: initial; display: inline-block; vertical-align: super; margin-left: .3em; line-height: 1; }
  .chip { font: 650 11.5px/1.25 system-ui, -apple-system, "Segoe UI", sans-serif; color: #5c3a00;
    background: #fff1cc; border: 1px solid #d9a63a; border-radius: 999px; padding: 1px 6px;
    white-space: nowrap; letter-spacing: .01em; }
`;

/**
 * Marks `link` with its price: the attribute always, and for a dear price the chip (made once).
 * @example
 * markLink(anchor, { mills: 8, dear: true }, 5); // <a data-micromint-price="8">…<span class="micromint-price">0.8¢</span></a>
 */
export function markLink(link: HTMLAnchorElement, hint: { mills: number; dear: boolean }, doc: Document = document): void {
  link.setAttribute(PRICE_ATTRIBUTE, String(hint.mills));
  const existing = link.querySelector<HTMLElement>(`:scope > span.${CHIP_CLASS}`);
  if (!hint.dear) {
    existing?.remove();
    return;
  }
  if (existing?.dataset.mills === String(hint.mills)) return;
  existing?.remove();
  const host = doc.createElement('span');
  host.className = CHIP_CLASS;
  host.dataset.mills = String(hint.mills);
  const root = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = STYLE;
  const chip = doc.createElement('span');
  chip.className = 'chip';
  const money = formatMoney(hint.mills);
  chip.textContent = money;
  chip.setAttribute('aria-label', `price ${money}, the wallet asks before paying`);
  chip.title = `${money}: more than your autopay limit, so the MicroMint wallet asks before paying`;
  root.append(style, chip);
  link.append(host);
}
