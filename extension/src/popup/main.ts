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
    renderSummary(await send(transport, 'wallet-summary', {}));
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
