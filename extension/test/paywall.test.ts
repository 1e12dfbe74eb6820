/**
 * The wallet's side of the paywall contract: a 402 paywall page learns the wallet is installed,
 * and the reader's click on its pay button pays as "pay" in the prompt does (pay-confirm), only
 * for a person's click, only at the price the wallet asked about; without coins the usual notice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markWalletInstalled, PAY_BUTTON, PAYWALL, watchPaywall } from '../src/content/paywall.ts';
import { NOTICE_ID, PROMPT_ID } from '../src/content/ui.ts';
import { actOn } from '../src/content/verdicts.ts';
import type { Message, PageVerdict, Transport } from '../src/messages.ts';
import { FakeElement, installFakeDocument } from './helpers/dom.ts';

const URL_ = 'http://127.0.0.1:4001/articles/map.html';
const VENDOR = 'http://127.0.0.1:4001';
const asked: PageVerdict = { action: 'confirm', broker: false, price: 8, vendorId: VENDOR, threshold: 5, balance: 200 };

/** A page with (or without) a paywall, whose clicks the test makes. */
function fakePage(paywall: boolean) {
  const listeners: ((e: unknown) => void)[] = [];
  const button = new FakeElement('button');
  button.dataset.price = '8';
  const page = {
    documentElement: { dataset: {} as Record<string, string> },
    querySelector: (selector: string) => (paywall && selector === PAYWALL ? button : null),
    addEventListener: (_type: string, l: (e: unknown) => void) => listeners.push(l),
  };
  /** A click on the pay button: a person's (trusted) or a page script's. */
  const click = (isTrusted = true) => {
    for (const l of listeners)
      l({ isTrusted, target: { closest: (s: string) => (s === PAY_BUTTON ? button : null) }, preventDefault: () => undefined });
  };
  return { doc: page as unknown as Document, button, click };
}

/** A worker that answers pay-confirm with `reply` and records what it was sent. */
function worker(reply: PageVerdict) {
  const sent: Message[] = [];
  const transport: Transport = async (m) => {
    sent.push(m);
    return { ok: true, value: m.type === 'pay-confirm' ? reply : { action: 'none', broker: false } };
  };
  return { sent, transport, confirms: () => sent.filter((m) => m.type === 'pay-confirm').length };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

test('a 402 page with a paywall is told the wallet is installed; other pages are left alone', () => {
  for (const [status, paywall, marked] of [
    [402, true, true],
    [200, true, false],
    [402, false, false],
    [undefined, true, false],
  ] as const) {
    const { doc } = fakePage(paywall);
    assert.equal(markWalletInstalled(doc, status), marked);
    assert.equal(doc.documentElement.dataset.micromintWallet, marked ? 'installed' : undefined, `${status} ${paywall}`);
  }
});

test("after declining, the reader's click on the paywall's button pays as the prompt's pay; a script's click does not", async () => {
  const dom = installFakeDocument();
  try {
    const { doc, button, click } = fakePage(true);
    const w = worker({ action: 'paying', broker: false, price: 8, resent: false });
    watchPaywall(doc, URL_, w.transport, asked);
    click(false);
    await settle();
    assert.equal(w.confirms(), 0, 'the page cannot press its own pay button for the reader');
    click();
    await settle();
    assert.deepEqual(w.sent, [{ type: 'pay-confirm', body: { url: URL_ } }]);
    assert.equal(button.disabled, true, 'paying: the page reloads, the button stays disabled');
  } finally {
    dom.uninstall();
  }
});

test('without coins the click gives the usual notice, which says where to buy; the button works again', async () => {
  const dom = installFakeDocument();
  try {
    const { doc, button, click } = fakePage(true);
    const insufficient: PageVerdict = {
      action: 'insufficient',
      broker: false,
      price: 8,
      vendorId: VENDOR,
      held: 0,
      makeable: 0,
      buyAt: 'http://127.0.0.1:4000/account',
    };
    const w = worker(insufficient);
    watchPaywall(doc, URL_, w.transport, insufficient);
    click();
    await settle();
    assert.equal(w.confirms(), 1);
    const notice = dom.getElementById(NOTICE_ID)!;
    assert.equal(notice.dataset.kind, 'insufficient');
    const texts = [...notice.shadowRoot!.children[1]!.descendants()].map((e) => e.textContent);
    assert.ok(texts.includes('This page needs 8 coins (0.8¢).'), texts.join(' | '));
    const link = notice.shadowRoot!.querySelector('a')!;
    assert.equal(link.getAttribute('href'), 'http://127.0.0.1:4000/account');
    assert.equal(button.disabled, false);
  } finally {
    dom.uninstall();
  }
});

test('a button whose price is not the one the wallet asked about opens the prompt instead of paying', async () => {
  const dom = installFakeDocument();
  try {
    const { doc, button, click } = fakePage(true);
    button.dataset.price = '2';
    const w = worker({ action: 'paying', broker: false, price: 8, resent: false });
    watchPaywall(doc, URL_, w.transport, asked);
    click();
    await settle();
    assert.equal(w.confirms(), 0);
    const prompt = dom.getElementById(PROMPT_ID)!;
    assert.equal(prompt.shadowRoot!.querySelector('[data-price="8"]')!.textContent, '8 coins (0.8¢)');
  } finally {
    dom.uninstall();
  }
});

test('with the prompt still up, the click on the paywall button is its "pay": one payment', async () => {
  const dom = installFakeDocument();
  try {
    const { doc, click } = fakePage(true);
    const w = worker({ action: 'paying', broker: false, price: 8, resent: false });
    watchPaywall(doc, URL_, w.transport, asked);
    void actOn(asked, URL_, w.transport);
    assert.ok(dom.getElementById(PROMPT_ID));
    click();
    await settle();
    click();
    await settle();
    assert.equal(w.confirms(), 1);
  } finally {
    dom.uninstall();
  }
});
