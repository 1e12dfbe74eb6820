/**
 * Types for the parts of `cookie` (jshttp, 0.7.x ships no types) that the middleware uses.
 * Only function declarations and a uniquely named interface, so they merge with any other
 * declaration of the module instead of clashing with it.
 */
declare module 'cookie' {
  /** Options of `serialize` used by the middleware. */
  export interface MicroMintCookieSerializeOptions {
    maxAge?: number;
    expires?: Date;
    path?: string;
    domain?: string;
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: boolean | 'lax' | 'strict' | 'none';
  }
  /** Parses a `Cookie` request header into name/value pairs (first occurrence of a name wins). */
  export function parse(header: string, options?: { decode?: (value: string) => string }): Record<string, string | undefined>;
  /** Serializes one `Set-Cookie` value; throws `TypeError` on an invalid name, value or path. */
  export function serialize(name: string, value: string, options?: MicroMintCookieSerializeOptions): string;
}
