/**
 * The account page's wallet card: "Connect this browser's wallet", the wallets connected, and the data
 * block the wallet extension reads to know whether it is connected. The markup of the `micromint-*`
 * elements is part of the contract with the extension (docs/protocol.md, section 12.5).
 * @module
 */
import { MAX_WALLET_KEYS } from '../../core/payword/wallet-keys.ts';
import { html, jsonScript, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { csrfField } from './layout.ts';

/** What the wallet card shows. */
export interface WalletData {
  broker: string;
  userId: string;
  /** Connected wallet keys, base64. */
  walletKeys: readonly string[];
}

/** `<script type="application/json" class="micromint-wallet">{"broker","userId","walletKeys"}</script>`. */
export const walletScript = (d: WalletData): Html =>
  jsonScript({ broker: d.broker, userId: d.userId, walletKeys: d.walletKeys }, html`class="micromint-wallet"`);

function connectedList(v: Visitor, keys: readonly string[]): Html {
  if (!keys.length) return html`<p class="muted">No wallet is connected yet.</p>`;
  return html`<table id="wallet-keys"><tbody>${keys.map(
    (k) => html`<tr data-wallet-key="${k}"><td class="mono">${k}</td><td class="r">
      <form class="micromint-disconnect-wallet" method="post" action="/account/wallet-key/delete">
        ${csrfField(v)}<input type="hidden" name="walletKey" value="${k}">
        <button class="secondary" type="submit">Disconnect</button>
      </form></td></tr>`,
  )}</tbody></table>`;
}

/** The card, with the extension's data block. */
export function walletCard(v: Visitor, d: WalletData): Html {
  return html`<section class="card" id="wallet">
  ${walletScript(d)}
  <h2>Connect this browser's wallet</h2>
  <p class="muted">Your MicroMint wallet can pay sites you return to with PayWord chains: the broker holds a chain's
  value from your balance when your wallet opens it, pays the site for the links it used, and gives back the rest
  after the chain expires. Only a connected wallet can open chains on your account (at most ${MAX_WALLET_KEYS}).</p>
  <form class="stack micromint-connect-wallet" method="post" action="/account/wallet-key" id="connect-wallet-form">
    ${csrfField(v)}
    <label>Wallet key (your MicroMint wallet fills it in)
      <input name="walletKey" required maxlength="64" autocomplete="off" spellcheck="false" placeholder="filled in by your MicroMint wallet"></label>
    <button type="submit">Connect this browser's wallet</button>
  </form>
  <h2 style="margin-top:1rem">Connected wallets</h2>
  ${connectedList(v, d.walletKeys)}
</section>`;
}
