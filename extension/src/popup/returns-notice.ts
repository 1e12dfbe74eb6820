/**
 * The popup's notice for coins of an expired epoch (issue 10): "59 coins from an expired epoch can
 * be returned for 5.9¢: Return them". One click returns them to the broker for credit
 * (`returns-claim`: the wallet's returns code and the broker's `/api/credit`), without the reader
 * finding the broker's page. The words are pure functions; {@link showReturnsNotice} draws.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { ReturnsClaimed, ReturnsOffer } from '../background/expired-returns.ts';
import { send, type Transport } from '../messages.ts';
import { siteName } from '../ui/site.ts';

const coins = (n: number) => `${n} ${n === 1 ? 'coin' : 'coins'}`;

/**
 * The notice's words, or undefined when nothing can be returned now.
 * @example
 * offerWords({ coins: 59, mills: 59, epochs: [{ epoch: 'e', broker, coins: 59, mills: 59, open: true }] });
 * // '59 coins from an expired epoch can be returned for 5.9¢'
 */
export function offerWords(offer: ReturnsOffer): string | undefined {
  if (offer.coins === 0) return undefined;
  const epochs = offer.epochs.filter((e) => e.open).length;
  return `${coins(offer.coins)} from ${epochs > 1 ? 'expired epochs' : 'an expired epoch'} can be returned for ${formatMoney(offer.mills)}`;
}

/** What the click did, as a state (`returned`, `not-open`, `pending`, `refused`) and words. */
export function claimWords(claimed: ReturnsClaimed): { state: string; words: string } {
  const tooEarly = claimed.results.find((r) => r.state === 'not-open');
  if (tooEarly)
    return {
      state: 'not-open',
      words: `The broker takes these coins back from ${tooEarly.returnsFrom ? new Date(tooEarly.returnsFrom).toLocaleString() : 'later'}; they stay in your wallet.`,
    };
  const unanswered = claimed.results.find((r) => r.state === 'pending');
  if (unanswered) return { state: 'pending', words: 'The broker did not answer: the coins go out again with the next return.' };
  const refused = claimed.results.find((r) => r.state === 'refused');
  if (refused)
    return { state: 'refused', words: `The broker refused the return (${refused.message ?? 'no reason'}); the coins stay in your wallet.` };
  const brokers = [...new Set(claimed.results.map((r) => siteName(r.broker)))].join(', ');
  return {
    state: 'returned',
    words: `Returned ${coins(claimed.returned)}: ${formatMoney(claimed.creditedMills)} credited to your account at ${brokers || 'your broker'}.`,
  };
}

/** Asks for the offer and, when there is one, shows the notice with its button. */
export async function showReturnsNotice(transport: Transport): Promise<void> {
  const notice = document.getElementById('returns-notice')!;
  const text = document.getElementById('returns-text')!;
  const button = document.getElementById('return-coins') as HTMLButtonElement;
  const offer = await send(transport, 'returns-offer', {});
  const words = offerWords(offer);
  if (!words) return;
  notice.hidden = false;
  notice.dataset.state = 'offered';
  notice.dataset.coins = String(offer.coins);
  notice.dataset.mills = String(offer.mills);
  text.textContent = `${words}:`;
  button.hidden = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    notice.dataset.state = 'returning';
    text.textContent = `Returning ${coins(offer.coins)} to your broker…`;
    try {
      const outcome = claimWords(await send(transport, 'returns-claim', {}));
      notice.dataset.state = outcome.state;
      text.textContent = outcome.words;
      button.hidden = outcome.state === 'returned' || outcome.state === 'not-open';
    } catch (e) {
      notice.dataset.state = 'error';
      text.textContent = `The coins could not be returned: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  });
}
