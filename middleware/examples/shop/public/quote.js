// The quote page: calls the paid API with fetch() and shows the answer as a reader would want it.
// With the MicroMint wallet the call is paid for the page; the receipt (PAYMENT-RESPONSE) says what
// was paid. Without it the 402's terms say where the wallet is had.
'use strict';

const $ = (id) => document.getElementById(id);

/** The JSON of a base64 x402 header, or undefined. */
function decodeHeader(value) {
  if (!value) return undefined;
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** "Paid 1 coin (0.1¢)" from a success receipt; the money is the page's price, as the shop wrote it. */
function paidText(receipt, money) {
  const ext = (receipt && receipt.extensions) || {};
  const links = ext.payword && ext.payword.units;
  const count = links || (ext.micromint && ext.micromint.coins ? ext.micromint.coins.length : 0);
  const unit = links ? 'link' : 'coin';
  return `Paid ${count} ${unit}${count === 1 ? '' : 's'}${money ? ` (${money})` : ''}${links ? ' from your PayWord chain' : ''}.`;
}

function show(status, quote) {
  $('quote-status').textContent = status;
  $('quote').hidden = !quote;
  if (quote) {
    $('quote-text').textContent = quote.text;
    $('quote-by').textContent = `— ${quote.by}`;
  }
}

function askForWallet(res, price) {
  const terms = decodeHeader(res.headers.get('PAYMENT-REQUIRED'));
  const offer = terms && terms.accepts && terms.accepts[0];
  const broker = offer && offer.extra && offer.extra.broker;
  show(`This quote costs ${price}. With the MicroMint wallet it is paid for you, without a click.`);
  if (typeof broker === 'string' && /^https?:\/\//.test(broker)) {
    const link = document.createElement('a');
    link.href = `${broker.replace(/\/+$/, '')}/wallet`;
    link.textContent = 'Get the MicroMint wallet';
    $('quote-status').append(' ', link);
  }
}

async function load() {
  const badge = document.querySelector('.badge[data-price]');
  const money = badge ? badge.dataset.money : '';
  const price = badge ? badge.textContent.toLowerCase() : 'a coin';
  show('Asking for a quote…');
  let res;
  try {
    res = await fetch('/api/quote', { headers: { accept: 'application/json' } });
  } catch {
    show('The shop could not be reached. Try again in a moment.');
    return;
  }
  if (res.status === 402) return askForWallet(res, price);
  if (!res.ok) return show(`The quote is not available right now (${res.status}). Try again in a moment.`);
  const quote = await res.json();
  const receipt = decodeHeader(res.headers.get('PAYMENT-RESPONSE'));
  if (receipt && receipt.success) show(paidText(receipt, money), quote);
  else show('Already paid for: quotes are free to read again for a few minutes after you pay.', quote);
}

document.addEventListener('DOMContentLoaded', () => {
  $('another').addEventListener('click', load);
  load();
});
