/**
 * Payments in the request body, for payments too large for the `PAYMENT-SIGNATURE` header (it
 * is limited to `MAX_PAYMENT_HEADER_BYTES` so that it fits Node's 16 KiB of request headers).
 * As in the thesis, the wallet POSTs a MicroMint-1.0 Payment message to the URL it pays for:
 *
 * ```
 * POST /articles/story.html
 * Content-Type: application/x-micromint
 *
 * MicroMint-1.0
 * Payment
 * Url: http://127.0.0.1:4001/articles/story.html
 * ...
 * ```
 *
 * Such a request pays for the GET of the URL: the middleware treats it as that GET from the
 * start (price, checks, receipt, access cookie) and the handlers after it see a GET.
 * The body is read with a size limit (`MAX_PAYMENT_BODY_BYTES`, 413 beyond).
 * @module
 */
import type { IncomingMessage } from 'node:http';
import {
  decodePaymentMessage,
  MAX_PAYMENT_BODY_BYTES,
  MessageError,
  MICROMINT_MIME,
  micromintPayload,
  micromintRequirements,
  X402_VERSION,
  type PaymentPayload,
} from '@micromint/shared';

/** What a body form needs to know to turn a body into the x402 payment it stands for. */
export interface BodyTerms {
  broker: string;
  maxTimeoutSeconds: number;
}

/** Reads one body form into a `PaymentPayload`; throws `MessageError` for a body that is not one. */
export type BodyPaymentReader = (text: string, terms: BodyTerms) => PaymentPayload;

/**
 * A Payment message as the `micromint` payment it is. The message names no broker (a vendor has
 * one) and no price (its coins are the amount): the offer is rebuilt from the vendor's terms, so
 * the payment is checked exactly as a `PAYMENT-SIGNATURE` for the same coins would be.
 */
export const micromintBodyPayment: BodyPaymentReader = (text, terms) => {
  const pay = decodePaymentMessage(text, MAX_PAYMENT_BODY_BYTES);
  return {
    x402Version: X402_VERSION,
    resource: { url: pay.url },
    accepted: micromintRequirements({
      price: pay.coins.length,
      vendorId: pay.vendorId,
      broker: terms.broker,
      epoch: pay.epoch,
      maxTimeoutSeconds: terms.maxTimeoutSeconds,
    }),
    payload: { ...micromintPayload(pay.epoch, pay.userId, pay.coins) },
  };
};

/** Body forms of a payment, by media type; another scheme's body form is added here. */
export const PAYMENT_BODIES: Readonly<Record<string, BodyPaymentReader>> = { [MICROMINT_MIME]: micromintBodyPayment };

/** The media type of a request's body, lower case, without parameters. */
const mediaType = (req: IncomingMessage): string | undefined => req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();

/** The body form of `req` when it is a POST carrying a payment in its body, else undefined. */
export function bodyPaymentReader(req: IncomingMessage): BodyPaymentReader | undefined {
  if (req.method !== 'POST') return undefined;
  const type = mediaType(req);
  return type !== undefined && Object.hasOwn(PAYMENT_BODIES, type) ? PAYMENT_BODIES[type] : undefined;
}

/** A body read, or why not (an HTTP error to answer, nothing taken). */
export type BodyRead = { ok: true; text: string } | { ok: false; status: number; error: string; message: string };

/** After this much more than the limit, stop draining an oversized body and close the connection. */
const DRAIN_BYTES = 1024 * 1024;

const tooLarge = (limit: number): BodyRead => ({
  ok: false,
  status: 413,
  error: 'payment_too_large',
  message: `a payment body may be at most ${limit} bytes`,
});

/**
 * Reads the body of `req` as text, at most `limit` bytes. An oversized body is drained (up to
 * 1 MiB more) before the 413 so that the client reads the answer; `close` is set when it was not.
 * Rejects when the client goes away before the body ends (then there is nobody to answer).
 */
export function readPaymentBody(
  req: IncomingMessage & { body?: unknown; _body?: boolean },
  limit = MAX_PAYMENT_BODY_BYTES,
): Promise<BodyRead & { close?: boolean }> {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity')
    return Promise.resolve({
      ok: false,
      status: 415,
      error: 'unsupported_content_encoding',
      message: 'a payment body must not be compressed',
    });
  if (req._body === true || req.readableEnded) {
    // A body parser mounted before the middleware already read it: take what it kept.
    const kept = req.body;
    const text = typeof kept === 'string' ? kept : Buffer.isBuffer(kept) ? kept.toString('latin1') : undefined;
    if (text === undefined)
      return Promise.resolve({
        ok: false,
        status: 400,
        error: 'invalid_payment_body',
        message: 'the payment body was consumed before it reached the MicroMint middleware',
      });
    return Promise.resolve(text.length > limit ? tooLarge(limit) : { ok: true, text });
  }
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > limit;
    const done = (result: BodyRead & { close?: boolean }) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
      else if (size > limit + DRAIN_BYTES) {
        req.pause();
        done({ ...tooLarge(limit), close: true });
      }
    };
    const onEnd = () => done(over ? tooLarge(limit) : { ok: true, text: Buffer.concat(chunks).toString('latin1') });
    const onError = (e: Error) => reject(e);
    const onClose = () => {
      if (!req.readableEnded) reject(new Error('the client closed the connection before the payment body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Reads a payment body with `reader`; a body that is not a payment is an HTTP 400 to answer. */
export function paymentOfBody(reader: BodyPaymentReader, text: string, terms: BodyTerms): PaymentPayload | BodyRead {
  try {
    return reader(text, terms);
  } catch (e) {
    if (e instanceof MessageError) return { ok: false, status: 400, error: 'invalid_payment_body', message: e.message };
    throw e;
  }
}
