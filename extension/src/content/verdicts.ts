/**
 * Acting on the worker's verdict for a page: prompt, notice, or nothing.
 * @module
 */
import { send, type PageVerdict, type Transport } from '../messages.ts';
import { askToPay, closePrompt, showInsufficient, showNotice } from './ui.ts';

/**
 * Shows what the verdict asks for. After "pay" in the prompt the worker pays and reloads the tab;
 * after "decline" the paywall page simply stays, and nothing is spent.
 */
export async function actOn(verdict: PageVerdict, url: string, transport: Transport): Promise<void> {
  switch (verdict.action) {
    case 'confirm': {
      const answer = await askToPay(verdict);
      if (answer === 'decline') {
        await send(transport, 'pay-decline', { url });
        return;
      }
      let next: PageVerdict;
      try {
        next = await send(transport, 'pay-confirm', { url });
      } catch (e) {
        closePrompt();
        showNotice('MicroMint payment failed', [(e as Error).message], 'error');
        return;
      }
      if (next.action !== 'paying') closePrompt();
      if (next.action !== 'confirm') await actOn(next, url, transport);
      return;
    }
    case 'insufficient':
      showInsufficient(verdict);
      return;
    case 'refuse':
      showNotice('MicroMint did not pay', [verdict.message], 'refused');
      return;
    case 'paying':
    case 'none':
      return;
  }
}
