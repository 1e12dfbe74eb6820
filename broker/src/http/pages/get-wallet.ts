/**
 * The wallet page (`/wallet`): what the MicroMint wallet does, its download (when this broker offers one),
 * and how to install it in a Chromium-based browser, step by step with a picture.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { WalletZip } from '../../core/wallet-zip.ts';
import { html, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { installFigure } from './install-figure.ts';

/** Where the zip is downloaded from. */
export const WALLET_ZIP_PATH = '/wallet/micromint-wallet.zip';

/** Bytes as people read them: `812 bytes`, `187 KB`, `1.4 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function whatItDoes(): Html {
  return html`<section class="card" id="what">
    <h1>The MicroMint wallet</h1>
    <p class="lead">A browser extension that pays for web pages as you read them, a fraction of a cent at a time. You never
    type a card number at those sites and never make an account there.</p>
    <ul class="features">
      <li><strong>Pays small prices by itself.</strong> When a page costs up to your limit (you choose it; it starts at
      ${formatMoney(5)} a page) the wallet pays and the page opens. Above your limit it shows you the price and asks first.</li>
      <li><strong>Spends coins you buy here.</strong> You buy MicroMint coins at this broker, a few hundred at a time, at
      ${formatMoney(1)} a coin. They live in your browser and only you can spend them. A site hands in the coins it was paid
      and the broker pays it; a coin is good once.</li>
      <li><strong>Opens a PayWord chain at sites you come back to.</strong> For a site you read often, the wallet can set
      aside a small amount of your balance for that site and spend it page by page; what you do not use comes back to you
      when the chain ends. Connect the wallet on your account page to use chains.</li>
      <li><strong>Shows what you paid.</strong> Its button in the toolbar lists your coins, your chains and your recent payments.</li>
    </ul>
  </section>`;
}

const alreadyHaveIt = (): Html => html`<p class="muted">Already have it? <a href="/account">Buy coins on your account</a>.</p>`;

function downloadCard(zip: WalletZip | undefined): Html {
  if (!zip)
    return html`<section class="card" id="download" data-offered="false">
    <h2>Download</h2>
    <p>This broker does not offer the wallet for download.</p>
    <p class="muted">Build it from the MicroMint source instead: at the top of the repository run <code>npm ci</code> and then
    <code>npm run build</code>. The wallet is then in the folder <code>dist/extension</code> (and zipped as
    <code>dist/micromint-wallet.zip</code>); load that folder with steps 3 to 5 below.</p>
    <p class="muted">Run a broker yourself? Offer the zip with <code>serve --wallet-zip dist/micromint-wallet.zip</code>.</p>
    ${alreadyHaveIt()}
  </section>`;
  return html`<section class="card" id="download" data-offered="true" data-bytes="${zip.bytes}" data-version="${zip.version}">
    <h2>Download</h2>
    <p><a class="button big" id="wallet-download" href="${WALLET_ZIP_PATH}" download="micromint-wallet.zip">Download the wallet</a></p>
    <table class="facts">
      <tr><th>Version</th><td id="wallet-version">${zip.name} ${zip.version}</td></tr>
      <tr><th>File</th><td>zip, <span id="wallet-size">${formatBytes(zip.bytes)}</span></td></tr>
      <tr><th>Browsers</th><td>Chrome, Chromium, Edge, Brave, Opera, Vivaldi (on a computer)</td></tr>
    </table>
    ${alreadyHaveIt()}
  </section>`;
}

function steps(v: Visitor, publicUrl: string, offered: boolean): Html {
  return html`<ol class="steps install">
    <li><strong>Download</strong> the zip ${offered ? html`with the button above` : html`(or build the wallet, see above)`}.</li>
    <li><strong>Unzip it</strong> into a folder you keep: the browser loads the wallet from that folder each time it starts,
    so do not delete it afterwards.</li>
    <li><strong>Open the extensions page</strong>: type <code>chrome://extensions</code> into the address bar and press Enter
    (in Edge <code>edge://extensions</code>, in Brave <code>brave://extensions</code>).</li>
    <li><strong>Turn on Developer mode</strong> with the switch at the top right of that page.</li>
    <li><strong>Click Load unpacked</strong> and choose the unzipped folder (the one with <code>manifest.json</code> in it).
    MicroMint Wallet now appears in the list.</li>
    <li><strong>Pin it</strong>: click the puzzle piece next to the address bar, then the pin beside MicroMint Wallet. Its coin
    now shows in the toolbar.</li>
    <li><strong>Point it at this broker</strong> if it is not already: right-click the coin, choose <em>Options</em> and set the
    broker to <code>${publicUrl}</code>.</li>
    <li><strong>Buy coins here</strong>: ${
      v.session ? html`on <a href="/account">your account</a>,` : html`<a href="/signup">create an account</a>, then`
    } add funds and buy a superbin set. The purchase page hands the coins to your wallet by itself.</li>
  </ol>`;
}

/** The body of the wallet page. */
export function getWalletView(v: Visitor, zip: WalletZip | undefined, publicUrl: string): Html {
  return html`
<div class="hero">
  ${whatItDoes()}
  ${downloadCard(zip)}
</div>
<section class="card" id="install">
  <h2>Install it in a Chromium-based browser</h2>
  <div class="install-grid">
    ${steps(v, publicUrl, zip !== undefined)}
    ${installFigure(zip?.version)}
  </div>
  <p>${v.session ? html`<a class="button" href="/account">Go to your account</a>` : html`<a class="button" href="/signup">Create an account</a>`}</p>
</section>`;
}
