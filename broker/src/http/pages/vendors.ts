/**
 * Vendor pages: the list of sites, registration (the API key shown once), and the page with a message.
 * (The dashboard is dashboard.ts.)
 * @module
 */
import type { VendorRecord } from '../../db/vendors.ts';
import { html, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { copyButton, copyScript } from './api-key.ts';
import { csrfField, notice } from './layout.ts';

const status = (x: VendorRecord): Html =>
  x.disabled ? html`<span class="pill bad" title="${x.disabledReason ?? ''}">disabled</span>` : html`<span class="pill ok">active</span>`;

/** The vendors page. */
export function vendorsView(
  v: Visitor,
  all: VendorRecord[],
  mine: VendorRecord[],
  o: { error?: string; origin?: string; name?: string } = {},
): Html {
  return html`
<h1>Sell for MicroMint coins</h1>
<div class="grid">
  <section class="card" id="register">
    <h2>Register your site</h2>
    ${o.error ? notice('bad', o.error) : ''}
    ${
      v.session
        ? html`<form class="stack" method="post" action="/vendors" id="vendor-form">
      ${csrfField(v)}
      <label>Site origin <input name="origin" required maxlength="255" placeholder="https://shop.example" value="${o.origin ?? ''}"></label>
      <label>Name <input name="name" required maxlength="100" placeholder="My shop" value="${o.name ?? ''}"></label>
      <button type="submit">Register and get an API key</button>
    </form>
    <p class="muted">Your vendor ID is the origin: coins paid to it are only good at that origin.</p>`
        : html`<p><a href="/login">Log in</a> to register a site (or use <code>POST /api/vendors</code>).</p>`
    }
  </section>
  <section class="card">
    <h2>Vendor dashboard</h2>
    <p class="muted">Sign in once with your API key to see your balance, earnings per page and per day, refused
    coins, complaints and cleared PayWord chains.</p>
    <p><a class="button secondary" href="/vendors/dashboard">Open the dashboard</a></p>
  </section>
</div>
${
  mine.length
    ? html`<section class="card"><h2>Your sites</h2><table><tbody>${mine.map(
        (x) => html`<tr><td>${x.name}</td><td class="mono">${x.id}</td><td>${status(x)}</td></tr>`,
      )}</tbody></table></section>`
    : ''
}
<section class="card" id="vendor-list">
  <h2>Sites taking MicroMint</h2>
  ${
    all.length
      ? html`<table><thead><tr><th>Name</th><th>Origin</th><th>Since</th><th>Status</th></tr></thead><tbody>${all.map(
          (x) =>
            html`<tr data-vendor-id="${x.id}"><td>${x.name}</td><td class="mono">${x.id}</td><td>${when(x.createdAt)}</td><td>${status(x)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">None yet.</p>`
  }
</section>`;
}

/** Shown once after registration (the vendor is signed in to its dashboard on this browser). */
export function registeredView(vendorId: string, apiKey: string, publicUrl: string): Html {
  return html`
<h1>Site registered</h1>
<section class="card">
  ${notice('info', 'Copy your API key now: the broker keeps only a hash of it. Your dashboard can show it again while this browser stays signed in.')}
  <p>Vendor ID <code id="vendor-id">${vendorId}</code></p>
  <div class="secret" id="api-key">${apiKey}</div>
  <p>${copyButton('api-key', 'Copy the key')}</p>
  ${copyScript()}
  <h2 style="margin-top:1.2rem">Next</h2>
  <p>Give the key to your MicroMint middleware, which redeems your coins at <code>${publicUrl}/api/redeem</code>
  with <code>Authorization: Bearer &lt;key&gt;</code>.</p>
  <p><a class="button" href="/vendors/dashboard">Open your dashboard</a></p>
</section>`;
}

/** A page with a message (errors, not found). */
export function messageView(title: string, text: string): Html {
  return html`<section class="card" style="max-width:640px;margin:2rem auto"><h1>${title}</h1><p>${text}</p><p><a href="/">Home</a></p></section>`;
}
