/**
 * The access window: after paying for a URL, the same browser may view it again for a while
 * without paying. One HttpOnly, SameSite=Lax cookie per URL, restricted to the URL's path, whose
 * value is `expiry.HMAC-SHA256(secret, url LF expiry)` (base64url), checked in constant time.
 * Only GET and HEAD are let through by the cookie: other methods buy an action each time.
 * @module
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';

const VALUE = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Most URLs, and most (URL, expiry) MACs, remembered: a paid page viewed again and again gets its
 * cookie name, its `Set-Cookie` line of the current second and the MACs of recent expiries from
 * memory instead of hashing them again. Anything anonymous input adds is bounded by these.
 */
export const MAX_REMEMBERED = 1000;

/** What is known of one URL's cookie: its name, and the `Set-Cookie` line issued for `expiry`. */
interface UrlCookie {
  name: string;
  expiry: number;
  /** Undefined when the URL's path cannot be carried by a cookie. */
  header: string | undefined;
}

/** A map that drops its oldest entry once it holds `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/** Issues and checks access-window cookies. */
export class AccessCookies {
  private readonly key: KeyObject;
  private readonly urls = new Map<string, UrlCookie>();
  /** Expected MACs by their input (`url LF expiry`). */
  private readonly macs = new Map<string, Buffer>();

  constructor(
    secret: Uint8Array,
    /** Window length in seconds; 0 disables the cookie. */
    private readonly windowSeconds: number,
    /** Whether to mark cookies `Secure` (the vendor is served over https). */
    private readonly secure: boolean,
  ) {
    this.key = createSecretKey(secret);
  }

  /** The cookie name for `url`: `mm_` + 22 base64url characters of SHA-256(url). */
  name(url: string): string {
    return this.cookieOf(url).name;
  }

  private cookieOf(url: string): UrlCookie {
    return (
      this.urls.get(url) ??
      remember(
        this.urls,
        url,
        { name: `mm_${createHash('sha256').update(url).digest('base64url').slice(0, 22)}`, expiry: NaN, header: undefined },
        MAX_REMEMBERED,
      )
    );
  }

  private mac(url: string, expiry: number): Buffer {
    const input = `${url}\n${expiry}`;
    return this.macs.get(input) ?? remember(this.macs, input, createHmac('sha256', this.key).update(input).digest(), MAX_REMEMBERED);
  }

  /** The `Set-Cookie` line for `url` expiring at `expiry` (seconds), or undefined when its path cannot be carried. */
  private header(url: string, c: UrlCookie, expiry: number): string | undefined {
    if (c.expiry === expiry) return c.header;
    c.expiry = expiry;
    try {
      c.header = serialize(c.name, `${expiry}.${this.mac(url, expiry).toString('base64url')}`, {
        path: new URL(url).pathname,
        maxAge: this.windowSeconds,
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
      });
    } catch {
      c.header = undefined; // a path the cookie syntax cannot carry: the buyer simply pays again next time
    }
    return c.header;
  }

  /** Sets the cookie for `url` on `res` (no-op when the window is 0); returns the `Set-Cookie` value set. */
  issue(res: Response, url: string, now = Date.now()): string | undefined {
    if (this.windowSeconds === 0) return undefined;
    const header = this.header(url, this.cookieOf(url), Math.floor(now / 1000) + this.windowSeconds);
    if (header !== undefined) res.append('Set-Cookie', header);
    return header;
  }

  /** Takes back a cookie {@link issue} set on `res` whose headers are not sent yet (the payment was taken back). */
  withdraw(res: Response, header: string): void {
    const set = res.getHeader('Set-Cookie');
    const list = Array.isArray(set) ? set : typeof set === 'string' ? [set] : [];
    const rest = list.filter((c) => c !== header);
    if (rest.length) res.setHeader('Set-Cookie', rest);
    else res.removeHeader('Set-Cookie');
  }

  /** True when `req` carries a valid, unexpired cookie for `url`. */
  allows(req: Request, url: string, now = Date.now()): boolean {
    if (this.windowSeconds === 0) return false;
    const header = req.headers.cookie;
    if (!header) return false;
    let value: string | undefined;
    try {
      value = parse(header)[this.name(url)];
    } catch {
      return false;
    }
    const m = value ? VALUE.exec(value) : null;
    if (!m) return false;
    const expiry = Number(m[1]);
    // The window is re-checked here too, so shortening it takes effect for cookies already issued.
    const nowSeconds = Math.floor(now / 1000);
    if (expiry <= nowSeconds || expiry > nowSeconds + this.windowSeconds) return false;
    const given = Buffer.from(m[2]!, 'base64url');
    const expected = this.mac(url, expiry);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
