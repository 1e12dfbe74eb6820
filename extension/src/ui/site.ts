/**
 * Sites as people read them, for the wallet's pages and its in-page UI.
 * @module
 */

/**
 * A site's origin (or any URL) as people read it: its host, and port if any; the text itself when
 * it is not a URL.
 * @example
 * siteName('https://shop.example'); // 'shop.example'
 * siteName('http://127.0.0.1:4001/a'); // '127.0.0.1:4001'
 */
export function siteName(origin: string): string {
  try {
    return new URL(origin).host || origin;
  } catch {
    return origin;
  }
}
