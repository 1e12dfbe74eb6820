/**
 * A tiny HTML template: every interpolated value is escaped unless it is already {@link Html}.
 * @module
 */

/** Markup that is safe to insert as is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Builds markup; values are escaped, arrays are joined, null/undefined/false render nothing.
 * @example
 * html`<p class="${cls}">${userText}</p>`;
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/**
 * A `<script type="application/x-micromint">` data block whose `textContent` is exactly the message (no
 * added whitespace: the decoder wants `MicroMint-1.0` on the first line). MicroMint messages are 7-bit
 * ASCII without `<`, so they cannot close the element; anything else is refused rather than altered.
 */
export function micromintScript(text: string, attrs: Html): Html {
  if (/[<]/.test(text) || !/^[\x0a\x0d\x20-\x7e]*$/.test(text))
    throw new RangeError('a MicroMint message cannot hold "<" or non-ASCII text');
  return new Html(`<script type="application/x-micromint" ${attrs.value}>${text}</script>`);
}

/**
 * A `<script type="application/json">` data block holding `value` as JSON (pages run no script: the CSP
 * forbids it; the block is data for the wallet extension). `<`, `>`, `&` and the line separators are
 * written as `\u` escapes, so no value can close the element or be read as markup.
 * @example
 * jsonScript({ broker, userId, walletKeys }, html`class="micromint-wallet"`);
 */
export function jsonScript(value: unknown, attrs: Html): Html {
  const json = JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return new Html(`<script type="application/json" ${attrs.value}>${json}</script>`);
}

/** Thousands separators, e.g. 43210 -> `43,210`. */
export const num = (n: number): string => n.toLocaleString('en-US');

/** A timestamp shown as `YYYY-MM-DD HH:MM UTC`. */
export const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
