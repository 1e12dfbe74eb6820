/**
 * The broker's icon: a coin marked M, drawn as SVG. Pages name it with `<link rel="icon">`; `/favicon.ico`,
 * which browsers ask for by themselves (on the `.mm` file, the JSON API), answers the same picture.
 * @module
 */
import express from 'express';

/** The icon (64 × 64 units). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
  '<circle cx="32" cy="32" r="31" fill="#2f5bea"/>' +
  '<circle cx="32" cy="32" r="24" fill="none" stroke="#fff" stroke-opacity=".5" stroke-width="3"/>' +
  '<path d="M19 43V21h5.5L32 32.5 39.5 21H45v22h-5.5V30.5L32 41.5l-7.5-11V43z" fill="#fff"/>' +
  '</svg>';

/** Where the pages' `<link rel="icon">` points. */
export const FAVICON_PATH = '/favicon.svg';

/** `GET /favicon.svg` and `GET /favicon.ico`: the icon, cached for a day. */
export function faviconRouter(): express.Router {
  const r = express.Router();
  const body = Buffer.from(FAVICON_SVG, 'utf8');
  r.get([FAVICON_PATH, '/favicon.ico'], (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').send(body);
  });
  return r;
}
