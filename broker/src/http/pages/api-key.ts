/**
 * A vendor's API key on its pages: masked until the vendor reveals it (a checkbox and CSS, no script), and a
 * "Copy" button. The button is the one script the broker's pages run: {@link COPY_SCRIPT}, allowed by its
 * hash ({@link COPY_SCRIPT_HASH}) on the pages that show it; without it the button stays hidden and the key
 * can be revealed and selected by hand.
 * @module
 */
import { scriptHash } from '../csp.ts';
import { Html, html } from '../html.ts';

/** Unhides each `button[data-copy]` and makes it copy the text of the element its `data-copy` names. */
export const COPY_SCRIPT = `for (const b of document.querySelectorAll('button[data-copy]')) {
  const label = b.textContent;
  b.hidden = false;
  b.addEventListener('click', async () => {
    const source = document.getElementById(b.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Copy failed: show the key and copy it by hand';
    }
    setTimeout(() => (b.textContent = label), 2500);
  });
}`;

/** The CSP source allowing {@link COPY_SCRIPT}. */
export const COPY_SCRIPT_HASH = scriptHash(COPY_SCRIPT);

/** The script element (its text is exactly {@link COPY_SCRIPT}, so that its hash matches). */
export const copyScript = (): Html => new Html(`<script>${COPY_SCRIPT}</script>`);

/** A hidden "Copy" button for the text of element `#targetId` (shown by {@link COPY_SCRIPT}). */
export const copyButton = (targetId: string, label = 'Copy'): Html =>
  html`<button type="button" class="secondary" data-copy="${targetId}" hidden>${label}</button>`;

/** `mmk_` and the last four characters, the rest as dots. */
export const maskKey = (key: string): string => `${key.slice(0, 4)}${'•'.repeat(16)}${key.slice(-4)}`;

/** The key, masked, with "Show" / "Hide" and "Copy" (the full key is `#vendor-api-key`). */
export function apiKeyBox(key: string): Html {
  return html`<div class="apikey">
    <input type="checkbox" id="reveal-key" class="reveal sr-only">
    <code class="masked" id="vendor-api-key-masked" aria-label="API key, hidden, ending in ${key.slice(-4)}">${maskKey(key)}</code>
    <code class="full" id="vendor-api-key">${key}</code>
    <label for="reveal-key" class="button secondary"><span class="show-label">Show</span><span class="hide-label">Hide</span></label>
    ${copyButton('vendor-api-key')}
  </div>`;
}
