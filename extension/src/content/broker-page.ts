/**
 * On the broker's pages: hands embedded Funds-Withdrawn and Send-Expired messages to the worker
 * and reports the outcome in the page's status elements (DOM hooks of the team contract); on the
 * account page, connects this browser's wallet (connect-wallet.ts).
 * @module
 */
import { formatPrice } from '@micromint/shared';
import { send, type Transport } from '../messages.ts';
import { CONNECT_FORM, connectWallet, WALLET_BLOCK } from './connect-wallet.ts';

const FUNDS = 'script.micromint-funds';
const SEND_EXPIRED = 'script.micromint-send-expired';
const HANDLED = 'micromintHandled';

/**
 * The text of an embedded message: lines trimmed (templates indent them; message lines never start
 * with a space) and blank lines dropped.
 */
export const messageText = (raw: string): string =>
  raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n') + '\n';

function statusFor(doc: Document, withdrawalId: string | undefined): HTMLElement | null {
  if (withdrawalId) {
    const exact = doc.querySelector<HTMLElement>(`.micromint-status[data-withdrawal-id="${CSS.escape(withdrawalId)}"]`);
    if (exact) return exact;
  }
  return doc.querySelector<HTMLElement>('.micromint-status:not([data-state]):not([data-withdrawal-id])');
}

/** When returns open, for people: a local date and time, or "a later date" when the broker did not say. */
export const openingText = (iso: string | undefined): string =>
  iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toLocaleString() : 'a later date';

function setStatus(el: HTMLElement | null, state: string, text: string): void {
  if (!el) return;
  el.dataset.state = state;
  el.textContent = text;
}

/** Delivers every not yet handled message of the page. */
export async function deliverBrokerMessages(doc: Document, transport: Transport): Promise<void> {
  for (const script of doc.querySelectorAll<HTMLScriptElement>(`${FUNDS}, ${SEND_EXPIRED}`)) {
    if (script.dataset[HANDLED]) continue;
    script.dataset[HANDLED] = 'true';
    const text = messageText(script.textContent ?? '');
    if (script.matches(FUNDS)) {
      const status = statusFor(doc, script.dataset.withdrawalId);
      try {
        const stored = await send(transport, 'funds-withdrawn', { text });
        setStatus(status, 'stored', `Stored in your wallet: ${stored.coins} coins`);
      } catch (e) {
        setStatus(status, 'error', `Your MicroMint wallet did not store these coins: ${(e as Error).message}`);
      }
    } else {
      // One status per epoch when the broker marks them; else the page's single return status.
      const epoch = script.dataset.epoch;
      const status =
        (epoch ? doc.querySelector<HTMLElement>(`.micromint-return-status[data-epoch="${CSS.escape(epoch)}"]`) : null) ??
        doc.querySelector<HTMLElement>('.micromint-return-status') ??
        statusFor(doc, undefined);
      try {
        const done = await send(transport, 'send-expired', { text });
        if (done.state === 'credited')
          setStatus(
            status,
            'returned',
            `Returned ${done.returned} coins; credited ${formatPrice(done.creditedMills, 'coin', done.credited)}`,
          );
        else if (done.state === 'nothing') setStatus(status, 'returned', 'Your wallet holds no unspent coins of this epoch');
        else if (done.state === 'not-open')
          setStatus(
            status,
            'not-open',
            `The broker takes returns of this epoch from ${openingText(done.returnsFrom)}; your ${done.returned} coins stay in your wallet`,
          );
        else
          setStatus(status, 'error', `Returned ${done.returned} coins, but the broker did not credit them: ${done.message ?? done.state}`);
      } catch (e) {
        setStatus(status, 'error', `Your MicroMint wallet did not return coins: ${(e as Error).message}`);
      }
    }
  }
}

const WATCHED = `${FUNDS}, ${SEND_EXPIRED}, ${WALLET_BLOCK}, ${CONNECT_FORM}`;

/** Delivers the page's messages and connects the wallet now, and again for any added later (pages may insert them after a purchase). */
export function watchBrokerPage(doc: Document, transport: Transport): void {
  const run = () => {
    void deliverBrokerMessages(doc, transport);
    void connectWallet(doc, transport);
  };
  run();
  new MutationObserver((records) => {
    if (records.some((r) => [...r.addedNodes].some((n) => n instanceof Element && (n.matches(WATCHED) || n.querySelector(WATCHED))))) run();
  }).observe(doc.documentElement, { childList: true, subtree: true });
}
