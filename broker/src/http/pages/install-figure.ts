/**
 * The wallet page's picture: a drawing (our own, in SVG) of a Chromium browser on its extensions page, with
 * the steps of the install instructions marked: the address `chrome://extensions` (3), the Developer mode
 * switch (4), the Load unpacked button (5), and the extensions button of the toolbar where the wallet is
 * pinned (6).
 * @module
 */
import { html, type Html } from '../html.ts';

const RING = '#f59e0b';
const BRAND = '#2f5bea';
const BLUE = '#0b57d0';

/** An amber ring around a part of the drawing, with the step's number in a blue disc at its corner. */
function mark(step: number, x: number, y: number, w: number, h: number): Html {
  return html`<g class="mark" data-step="${step}">
    <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="10" fill="none" stroke="${RING}" stroke-width="3"/>
    <circle cx="${x}" cy="${y}" r="12" fill="${BRAND}" stroke="#fff" stroke-width="2"/>
    <text x="${x}" y="${y + 4.5}" text-anchor="middle" font-size="13" font-weight="700" fill="#fff">${step}</text>
  </g>`;
}

/** A switch, on. */
const toggle = (x: number, y: number): Html =>
  html`<rect x="${x}" y="${y}" width="34" height="16" rx="8" fill="#a8c7fa"/><circle cx="${x + 25}" cy="${y + 8}" r="9" fill="${BLUE}"/>`;

/** A rounded outlined button. */
const button = (x: number, y: number, w: number, label: string): Html =>
  html`<rect x="${x}" y="${y}" width="${w}" height="30" rx="15" fill="#fff" stroke="#747775"/>
    <text x="${x + w / 2}" y="${y + 19.5}" text-anchor="middle" font-size="13" font-weight="600" fill="${BLUE}">${label}</text>`;

function chrome(): Html {
  return html`<rect x="10" y="10" width="740" height="390" rx="12" fill="#f8f9fa" stroke="#c4c7c5"/>
  <path d="M10 22a12 12 0 0 1 12-12h716a12 12 0 0 1 12 12v24H10z" fill="#dfe3eb"/>
  <path d="M26 46V24a8 8 0 0 1 8-8h170a8 8 0 0 1 8 8v22z" fill="#fff"/>
  <path d="M40 27h5v-3h4v3h5v5h-3v4h3v5H40z" fill="#5f6368"/>
  <text x="64" y="37" font-size="13" fill="#1f1f1f">Extensions</text>
  <rect x="10" y="46" width="740" height="42" fill="#fff"/>
  <path d="M34 67h14M34 67l6-6M34 67l6 6" stroke="#5f6368" stroke-width="2" fill="none"/>
  <path d="M76 67H62M76 67l-6-6M76 67l-6 6" stroke="#bdc1c6" stroke-width="2" fill="none"/>
  <rect x="100" y="54" width="520" height="26" rx="13" fill="#edf0f4"/>
  <text x="122" y="72" font-size="13" fill="#1f1f1f">chrome://extensions</text>
  <path d="M648 62h6v-4h5v4h6v6h-3v5h3v6h-17z" fill="#5f6368"/>
  <circle cx="704" cy="67" r="11" fill="#c2e7ff"/>
  <line x1="10" y1="88" x2="750" y2="88" stroke="#dadce0"/>`;
}

function header(): Html {
  return html`<rect x="11" y="89" width="738" height="54" fill="#fff"/>
  <path d="M28 107h18M28 115h18M28 123h18" stroke="#5f6368" stroke-width="2"/>
  <text x="60" y="123" font-size="20" fill="#1f1f1f">Extensions</text>
  <rect x="230" y="100" width="290" height="32" rx="16" fill="#edf0f4"/>
  <circle cx="251" cy="115" r="6" fill="none" stroke="#5f6368" stroke-width="2"/><path d="M255 119l5 5" stroke="#5f6368" stroke-width="2"/>
  <text x="270" y="121" font-size="13" fill="#5f6368">Search extensions</text>
  <text x="578" y="121" font-size="13" fill="#1f1f1f">Developer mode</text>
  ${toggle(688, 108)}
  <line x1="10" y1="143" x2="750" y2="143" stroke="#dadce0"/>
  <rect x="11" y="144" width="738" height="44" fill="#fff"/>
  ${button(30, 151, 130, 'Load unpacked')}${button(172, 151, 130, 'Pack extension')}${button(314, 151, 84, 'Update')}
  <line x1="10" y1="188" x2="750" y2="188" stroke="#dadce0"/>`;
}

function card(version: string | undefined): Html {
  return html`<rect x="30" y="206" width="350" height="160" rx="10" fill="#fff" stroke="#dadce0"/>
  <circle cx="64" cy="240" r="18" fill="${BRAND}"/>
  <path d="M55 249v-18h4.5l4.5 7 4.5-7h4.5v18h-4.5v-10l-4.5 7-4.5-7v10z" fill="#fff"/>
  <text x="94" y="236" font-size="14" font-weight="700" fill="#1f1f1f">MicroMint Wallet <tspan font-weight="400" fill="#5f6368">${version ?? ''}</tspan></text>
  <text x="94" y="256" font-size="12" fill="#5f6368">Pays HTTP 402 "micromint" challenges with</text>
  <text x="94" y="272" font-size="12" fill="#5f6368">coins from your MicroMint superbin sets.</text>
  <line x1="30" y1="326" x2="380" y2="326" stroke="#eceff1"/>
  <text x="48" y="351" font-size="13" font-weight="600" fill="${BLUE}">Details</text>
  <text x="112" y="351" font-size="13" font-weight="600" fill="${BLUE}">Remove</text>
  ${toggle(330, 339)}
  <rect x="400" y="206" width="330" height="160" rx="10" fill="#fff" stroke="#eceff1"/>
  <rect x="420" y="226" width="36" height="36" rx="8" fill="#eceff1"/>
  <rect x="470" y="230" width="150" height="10" rx="5" fill="#eceff1"/>
  <rect x="470" y="250" width="220" height="8" rx="4" fill="#f1f3f4"/>
  <rect x="470" y="266" width="180" height="8" rx="4" fill="#f1f3f4"/>`;
}

/** The drawing, as a figure with its caption; `version` is the extension's, when known. */
export function installFigure(version: string | undefined): Html {
  return html`<figure class="install-figure">
  <svg viewBox="0 0 760 410" role="img" aria-labelledby="install-title install-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">
    <title id="install-title">The browser's extensions page with the wallet loaded</title>
    <desc id="install-desc">The address bar shows chrome://extensions (step 3). At the top right of the page the Developer mode
    switch is on (step 4). Below it, the Load unpacked button (step 5). The MicroMint Wallet is listed and switched on. In the
    toolbar, the extensions button where you pin the wallet (step 6).</desc>
    ${chrome()}${header()}${card(version)}
    ${mark(3, 96, 50, 528, 34)}${mark(4, 566, 98, 174, 36)}${mark(5, 24, 145, 142, 42)}${mark(6, 638, 50, 36, 34)}
  </svg>
  <figcaption class="muted">The extensions page once the wallet is loaded: the numbers are the steps above.</figcaption>
</figure>`;
}
