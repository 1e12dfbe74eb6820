/**
 * Checks of text people type into the broker: names and free text.
 * @module
 */

/** Checks a display name; throws `TypeError`/`RangeError`. */
export function checkName(name: unknown, what = 'name', max = 100): string {
  if (typeof name !== 'string') throw new TypeError(`${what} must be a string`);
  const n = name.trim();
  if (n.length === 0 || n.length > max) throw new RangeError(`${what} must be 1 to ${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new RangeError(`${what} must not contain control characters`);
  return n;
}

/**
 * Checks a free text of several lines (a complaint from a textarea, which browsers send with CRLF line
 * ends): like {@link checkName}, but line breaks and tabs are allowed, and CRLF / CR become LF.
 */
export function checkText(text: unknown, what: string, max: number): string {
  if (typeof text !== 'string') throw new TypeError(`${what} must be a string`);
  const t = text.replace(/\r\n?/g, '\n').trim();
  if (t.length === 0 || t.length > max) throw new RangeError(`${what} must be 1 to ${max} characters`);
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(t)) throw new RangeError(`${what} must not contain control characters`);
  return t;
}
