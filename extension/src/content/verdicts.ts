/**
 * Acting on the worker's verdict for a page: prompt, notice, receipt, or nothing.
 * @module
 */
import { PAYMENT_RESPONSE_HEADER } from '@micromint/shared';
import { send, type PageVerdict, type Transport } from '../messages.ts';
import { showReceipt } from './receipt.ts';
import type { BudgetAllow } from '../wallet/budgets.ts';
import { askToPay, budgetAllow, closePrompt, showInsufficient, showNotice } from './ui.ts';

/**
 * Sends a payment too large for a header: POSTs its body to the page's own URL, then loads the URL
 * again, which the vendor's access cookie now opens (or which answers 402 again after a refusal:
 * the wallet then asks). The worker settles the payment from what it sees on the network; this
 * only decides whether loading the page again makes sense. Without an answer the payment stays
 * pending and goes out again, the same bytes, when the page is reloaded.
 */
export async function postPayment(
  verdict: Extract<PageVerdict, { action: 'post' }>,
  url: string,
  fetchFn: typeof fetch = (input, init) => fetch(input, init),
  go: (url: string) => void = (u) => window.location.replace(u),
): Promise<void> {
  let answered: boolean;
  try {
    const res = await fetchFn(url, {
      method: 'POST',
      headers: { 'Content-Type': verdict.contentType },
      body: verdict.body,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'manual',
    });
    answered = res.type === 'opaqueredirect' || res.status === 402 || res.headers.has(PAYMENT_RESPONSE_HEADER);
  } catch {
    answered = false;
  }
  if (answered) go(url);
  else
    showNotice(
      'MicroMint payment not answered',
      ['The site did not answer the payment. Reload the page to send the same coins again.'],
      'error',
    );
}

/**
 * The reader said yes to paying `url` (the prompt's "pay", or the paywall's own pay button after
 * declining): the worker pays it as a user-approved payment, and the page shows what follows (the
 * tab reloads with the payment, or a notice). Resolves with the worker's verdict, undefined when it
 * did not answer (a notice says so). `allow`: the prompt's "allow up to" (budgets), set with the payment.
 */
export async function confirmPayment(url: string, transport: Transport, allow?: BudgetAllow): Promise<PageVerdict | undefined> {
  let next: PageVerdict;
  try {
    next = await send(transport, 'pay-confirm', { url, ...(allow ? { allow } : {}) });
  } catch (e) {
    closePrompt();
    showNotice('MicroMint payment failed', [(e as Error).message], 'error');
    return undefined;
  }
  if (next.action !== 'paying') closePrompt();
  if (next.action !== 'confirm') await actOn(next, url, transport);
  return next;
}

/**
 * Shows what the verdict asks for. After "pay" in the prompt the worker pays and reloads the tab;
 * after "decline" the paywall page simply stays, and nothing is spent (its pay button can still
 * pay, paywall.ts). A page just paid shows its receipt.
 */
export async function actOn(verdict: PageVerdict, url: string, transport: Transport): Promise<void> {
  switch (verdict.action) {
    case 'confirm': {
      const answer = await askToPay(verdict);
      if (answer === 'decline') await send(transport, 'pay-decline', { url });
      else await confirmPayment(url, transport, answer === 'allow' ? budgetAllow(verdict) : undefined);
      return;
    }
    case 'insufficient':
      showInsufficient(verdict);
      return;
    case 'refuse':
      showNotice('MicroMint did not pay', [verdict.message], 'refused');
      return;
    case 'post':
      await postPayment(verdict, url);
      return;
    case 'none':
      if (verdict.receipt) showReceipt(verdict.receipt);
      return;
    case 'paying':
      return;
  }
}
