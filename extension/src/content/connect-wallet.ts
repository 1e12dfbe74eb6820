/**
 * On the broker's account page: connecting this browser's wallet (docs/protocol.md 12.5).
 *
 * - `form.micromint-connect-wallet`: its `walletKey` input gets this wallet's Ed25519 public key
 *   (base64) from the worker. The reader submits the form with their own click; the script never
 *   submits it (the broker checks the CSRF token and the Origin; a page's own script could not
 *   connect a key the reader did not see go in).
 * - `script.micromint-wallet` (on every account page, also the one the broker answers the form
 *   with): its JSON is handed to the worker, which records the broker, the user and whether this
 *   wallet's key is among the keys connected to that user.
 *
 * The form gets `data-micromint-state`: `filled` (the key is in, waiting for the reader's click),
 * `connected` (the broker lists this wallet's key for the signed-in user) or `error`, and a status
 * line (`.micromint-connect-status`) that says so in words.
 * @module
 */
import { send, type Transport, type WalletBlock, type WalletConnected } from '../messages.ts';

export const CONNECT_FORM = 'form.micromint-connect-wallet';
export const WALLET_BLOCK = 'script.micromint-wallet';
const HANDLED = 'micromintHandled';

/** What the worker last said about a document's block (a form added later is marked from it). */
const lastConnection = new WeakMap<Document, WalletConnected>();

/** The block's JSON, or undefined when it is not an object (the worker checks its fields). */
export function readBlock(script: HTMLScriptElement): WalletBlock | undefined {
  try {
    const value: unknown = JSON.parse(script.textContent ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as WalletBlock) : undefined;
  } catch {
    return undefined;
  }
}

/** The form's status line, made on first use (after the submit button, inside the form). */
function statusLine(form: HTMLFormElement): HTMLElement {
  let line = form.querySelector<HTMLElement>('.micromint-connect-status');
  if (!line) {
    line = form.ownerDocument.createElement('p');
    line.className = 'micromint-connect-status';
    line.setAttribute('role', 'status');
    form.append(line);
  }
  return line;
}

function mark(form: HTMLFormElement, state: 'filled' | 'connected' | 'error', text: string): void {
  form.dataset.micromintState = state;
  const line = statusLine(form);
  line.dataset.state = state;
  line.textContent = text;
}

/** Puts `key` into the form's `walletKey` input as typing would (frameworks listen for `input`). */
function fill(form: HTMLFormElement, key: string): void {
  const input = form.querySelector<HTMLInputElement>('input[name="walletKey"]');
  if (!input) return;
  if (input.value !== key) {
    input.value = key;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }
  form.dataset.micromintWalletKey = key;
}

/**
 * Reports the page's `micromint-wallet` block (once per block) and fills the connect form (once
 * per form). Errors are shown on the form, never thrown.
 */
export async function connectWallet(doc: Document, transport: Transport): Promise<void> {
  const script = doc.querySelector<HTMLScriptElement>(WALLET_BLOCK);
  const form = doc.querySelector<HTMLFormElement>(CONNECT_FORM);
  const newScript = script && !script.dataset[HANDLED] ? script : null;
  const newForm = form && !form.dataset[HANDLED] ? form : null;
  if (!newScript && !newForm) return;
  if (newScript) newScript.dataset[HANDLED] = 'true';
  if (newForm) newForm.dataset[HANDLED] = 'true';

  let connection = lastConnection.get(doc);
  if (newScript) {
    const block = readBlock(newScript);
    try {
      if (!block) throw new Error("the page's micromint-wallet block is not JSON");
      connection = await send(transport, 'wallet-connected', block);
      lastConnection.set(doc, connection);
    } catch (e) {
      // A block the wallet refuses (another user's account, another broker): do not offer the key.
      if (form) mark(form, 'error', `Your MicroMint wallet cannot connect to this account: ${(e as Error).message}`);
      return;
    }
  }
  if (!form) return;
  try {
    const walletKey = connection?.walletKey ?? (await send(transport, 'wallet-key', {})).walletKey;
    fill(form, walletKey);
    if (connection?.connected)
      mark(form, 'connected', 'This browser\u2019s MicroMint wallet is connected to this account: it can open PayWord chains.');
    else mark(form, 'filled', 'Your MicroMint wallet filled in its key. Click the button to connect it to this account.');
  } catch (e) {
    mark(form, 'error', `Your MicroMint wallet did not give its key: ${(e as Error).message}`);
  }
}
