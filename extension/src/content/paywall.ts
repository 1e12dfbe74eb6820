/**
 * The wallet's side of the paywall contract (extension/README.md, "Paywall hooks"):
 *
 * - on a 402 page with a paywall (an element `[data-micromint-pay]` or a
 *   `script.micromint-request-payment`), `<html>` gets `data-micromint-wallet="installed"`: the
 *   paywall's own CSS then hides its "Get the MicroMint wallet" link and shows its pay button;
 * - a reader's click on that button (`[data-micromint-pay]`, `data-price` = the price in mills,
 *   which is coins) pays the page exactly as "pay" in the wallet's prompt does (`pay-confirm`: a
 *   payment the reader approved, under the same rules; not enough coins gives the usual notice).
 *   While the prompt is open the click is the prompt's "pay". Only a person's click counts (a
 *   page script's `click()` is ignored), and a button whose `data-price` is not what the wallet
 *   asked the reader about opens the wallet's prompt instead: the wallet never pays a price the
 *   page worded differently.
 * @module
 */
import type { PageVerdict, Transport } from '../messages.ts';
import { onUserClick } from './user-click.ts';
import { isPromptOpen, payOpenPrompt } from './ui.ts';
import { actOn, confirmPayment } from './verdicts.ts';

/** What marks a page as a paywall. */
export const PAYWALL = '[data-micromint-pay], script.micromint-request-payment';
/** The paywall's pay button. */
export const PAY_BUTTON = '[data-micromint-pay]';

/**
 * Tells a 402 paywall page that the wallet is installed (`<html data-micromint-wallet="installed">`).
 * True when the page is one; nothing changes on any other page.
 * @example
 * if (markWalletInstalled(document, 402)) watchPaywall(document, location.href, transport, verdict);
 */
export function markWalletInstalled(doc: Document, status: number | undefined): boolean {
  if (status !== 402 || !doc.querySelector(PAYWALL)) return false;
  doc.documentElement.dataset.micromintWallet = 'installed';
  return true;
}

/**
 * The reader clicked the paywall's pay button. `asked` is the worker's first verdict for the page:
 * when it asked the reader (`confirm`), the button must name the same price.
 */
export async function payFromPaywall(button: HTMLElement, url: string, transport: Transport, asked: PageVerdict): Promise<void> {
  const shown = button.dataset.price;
  if (asked.action === 'confirm' && shown !== undefined && Number(shown) !== asked.price) {
    // The page's words are not the wallet's: the prompt shows what paying really costs (if it is not up already).
    if (!isPromptOpen()) await actOn(asked, url, transport);
    return;
  }
  if (payOpenPrompt()) return;
  busy(button, true);
  const next = await confirmPayment(url, transport);
  // Paying: the tab loads the page again. Anything else (a notice): the button may be used again.
  if (next?.action !== 'paying') busy(button, false);
}

function busy(button: HTMLElement, on: boolean): void {
  if ('disabled' in button) (button as HTMLButtonElement).disabled = on;
  if (on) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
}

/**
 * Listens for the reader's clicks on the paywall's pay buttons.
 * @example
 * watchPaywall(document, location.href, transport, verdict);
 */
export function watchPaywall(doc: Document, url: string, transport: Transport, asked: PageVerdict): void {
  let paying = false;
  onUserClick(doc, (event) => {
    const button = (event.target as Element | null)?.closest?.<HTMLElement>(PAY_BUTTON);
    if (!button || paying) return;
    event.preventDefault();
    paying = true;
    payFromPaywall(button, url, transport, asked)
      .catch((e: unknown) => console.debug('[micromint]', (e as Error)?.message ?? e))
      .finally(() => (paying = false));
  });
}
