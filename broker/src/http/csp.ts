/**
 * The pages' Content-Security-Policy. Pages run no script, with one exception a page asks for by name: a
 * static script allowed by its SHA-256 (the dashboard's "copy" button), never inline code from data.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';

const BASE = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
];

/** The policy of every response: no script at all (the `<script>` elements are MicroMint data blocks, which never run). */
export const CSP = BASE.join('; ');

/** The CSP source that allows exactly the script `code`, e.g. `'sha256-…'`. */
export const scriptHash = (code: string): string => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`;

/**
 * Lets this response run the inline scripts whose {@link scriptHash}es are given, and nothing else.
 * @example
 * allowScripts(res, [COPY_SCRIPT_HASH]);
 */
export function allowScripts(res: Response, hashes: readonly string[]): void {
  res.set('Content-Security-Policy', [...BASE, `script-src ${hashes.join(' ')}`].join('; '));
}
