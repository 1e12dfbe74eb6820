/**
 * The access window: after paying for a URL, the same browser may view it again for a while
 * without paying. One HttpOnly, SameSite=Lax cookie per URL, restricted to the URL's path, whose
 * value is `expiry.HMAC-SHA256(secret, url LF expiry)` (base64url), checked in constant time.
 * Only GET and HEAD are let through by the cookie: other methods buy an action each time.
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';

const VALUE = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

/** Issues and checks access-window cookies. */
export class AccessCookies {
  constructor(
    private readonly secret: Uint8Array,
    /** Window length in seconds; 0 disables the cookie. */
    private readonly windowSeconds: number,
    /** Whether to mark cookies `Secure` (the vendor is served over https). */
    private readonly secure: boolean,
  ) {}

  /** The cookie name for `url`: `mm_` + 22 base64url characters of SHA-256(url). */
  name(url: string): string {
    return `mm_${createHash('sha256').update(url).digest('base64url').slice(0, 22)}`;
  }

  private mac(url: string, expiry: number): Buffer {
    return createHmac('sha256', this.secret).update(`${url}\n${expiry}`).digest();
  }

  /** Sets the cookie for `url` on `res` (no-op when the window is 0); returns the `Set-Cookie` value set. */
  issue(res: Response, url: string, now = Date.now()): string | undefined {
    if (this.windowSeconds === 0) return undefined;
    const expiry = Math.floor(now / 1000) + this.windowSeconds;
    let header: string;
    try {
      header = serialize(this.name(url), `${expiry}.${this.mac(url, expiry).toString('base64url')}`, {
        path: new URL(url).pathname,
        maxAge: this.windowSeconds,
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
      });
    } catch {
      return undefined; // a path the cookie syntax cannot carry: the buyer simply pays again next time
    }
    res.append('Set-Cookie', header);
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
