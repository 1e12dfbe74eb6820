/**
 * Cookie parsing and serialising through `cookie` (jshttp), which ships no types: it is loaded with
 * `createRequire` and given the narrow type used here.
 * @module
 */
import { createRequire } from 'node:module';

/** Attributes of a Set-Cookie header. */
export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'lax' | 'strict';
  path?: string;
  expires?: Date;
  maxAge?: number;
}

interface CookieModule {
  parse(header: string): Record<string, string | undefined>;
  serialize(name: string, value: string, options?: CookieOptions): string;
}

const cookie = createRequire(import.meta.url)('cookie') as CookieModule;

/** The cookies of a request's Cookie header. */
export const parseCookies = (header: string | undefined): Record<string, string | undefined> => (header ? cookie.parse(header) : {});

/** A Set-Cookie header value. */
export const serializeCookie = (name: string, value: string, options: CookieOptions): string => cookie.serialize(name, value, options);
