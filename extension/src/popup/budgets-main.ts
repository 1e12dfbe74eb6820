/**
 * The popup's budgets section (a module of its own on popup.html): asks the worker for the
 * budgets overview and draws it; "Budgets" opens the options page at its budgets.
 * @module
 */
import browser from 'webextension-polyfill';
import { send, type Message } from '../messages.ts';
import { renderBudgets } from './budgets.ts';

const transport = (m: Message) => browser.runtime.sendMessage(m);

document.getElementById('edit-budgets')!.addEventListener('click', (event) => {
  event.preventDefault();
  void browser.tabs.create({ url: browser.runtime.getURL('options.html#budgets-card') });
});

send(transport, 'budgets-overview', {}).then(renderBudgets, (e: Error) => {
  const section = document.getElementById('budgets-section')!;
  section.hidden = false;
  section.querySelector('.budgets-error')!.textContent = `Spending could not be read: ${e.message}`;
});
