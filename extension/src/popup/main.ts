/**
 * The popup: asks the worker for the wallet summary and draws it.
 * @module
 */
import browser from 'webextension-polyfill';
import { send, type Message } from '../messages.ts';
import { renderSummary } from './render.ts';

const transport = (m: Message) => browser.runtime.sendMessage(m);

async function show(): Promise<void> {
  try {
    const [summary, settings] = await Promise.all([
      send(transport, 'wallet-summary', {}),
      // Whether chains are on, and the user when no coins named it yet; the popup draws without them.
      send(transport, 'settings-get', {}).catch(() => undefined),
    ]);
    renderSummary({
      ...summary,
      // The user is known from the first coins, or from the broker's account page (connecting the wallet).
      userId: summary.userId ?? (settings?.userId || null),
      ...(settings ? { chainsEnabled: settings.chainsEnabled } : {}),
    });
  } catch (e) {
    const error = document.getElementById('error')!;
    error.hidden = false;
    error.textContent = `The wallet could not be read: ${(e as Error).message}`;
  }
}

document.getElementById('open-options')!.addEventListener('click', (event) => {
  event.preventDefault();
  void browser.runtime.openOptionsPage();
});

void show();
