/**
 * Test plumbing: real HTTP servers on 127.0.0.1 port 0, temp dirs, payment headers, decoded answers.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodePaymentRequired,
  decodeSettlementResponse,
  encodeHeader,
  encodePayment,
  MICROMINT_MIME,
  micromintPayload,
  micromintRequirements,
  X402_VERSION,
  type EpochParams,
  type PaymentPayload,
  type PaymentRequired,
  type SettlementResponse,
} from '@micromint/shared';
import type { MicroMintLogger } from '../src/index.ts';

/** A listening server and its base URL. */
export interface Running {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with an OS-chosen port. */
export async function listen(handler: RequestListener): Promise<Running> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reserves a port and frees it again: the origin of a server started later on it, so the
 * vendor id can be known before the app is built.
 */
export async function freePort(): Promise<number> {
  const r = await listen((_req, res) => res.end());
  await r.close();
  return r.port;
}

/** A temp directory removed by `cleanup()`. */
export function tempDir(prefix = 'mm-mw-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A logger that records instead of printing. */
export function quietLogger(): MicroMintLogger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return { warnings, errors, warn: (m) => warnings.push(m), error: (m) => errors.push(m) };
}

/** The PAYMENT-SIGNATURE value a wallet would send. */
export function paymentHeader(o: {
  url: string;
  vendorId: string;
  broker: string;
  epoch: EpochParams;
  userId: string;
  coins: Uint8Array[];
  price?: number;
  resourceUrl?: string | null;
}): string {
  const payload: PaymentPayload = {
    x402Version: X402_VERSION,
    ...(o.resourceUrl === null ? {} : { resource: { url: o.resourceUrl ?? o.url } }),
    accepted: micromintRequirements({ price: o.price ?? o.coins.length, vendorId: o.vendorId, broker: o.broker, epoch: o.epoch.id }),
    payload: { ...micromintPayload(o.epoch.id, o.userId, o.coins) },
  };
  return encodeHeader(payload);
}

/** The Payment message (MicroMint-1.0) a wallet POSTs as the body of a large payment. */
export function paymentMessage(o: { url: string; vendorId: string; epoch: EpochParams; userId: string; coins: Uint8Array[] }): string {
  return encodePayment(o.epoch, { url: o.url, vendorId: o.vendorId, userId: o.userId, epoch: o.epoch.id, coins: o.coins });
}

/** POSTs a Payment message to `url`, as a wallet pays in the body. */
export const payInBody = (url: string, message: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': MICROMINT_MIME, ...headers }, body: message });

/** A raw answer, for responses whose headers are over fetch's 16 KiB (a receipt naming 1000 coins). */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request through node:http that takes response headers up to 256 KiB, as browsers do. */
export function rawRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, maxHeaderSize: 256 * 1024 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Decoded PAYMENT-RESPONSE of a raw answer. */
export const rawReceiptOf = (res: RawAnswer): SettlementResponse => decodeSettlementResponse(res.headers['payment-response']);

/** Decoded PAYMENT-REQUIRED of a response. */
export const challengeOf = (res: Response): PaymentRequired => decodePaymentRequired(res.headers.get('payment-required'));

/** Decoded PAYMENT-RESPONSE of a response. */
export const receiptOf = (res: Response): SettlementResponse => decodeSettlementResponse(res.headers.get('payment-response'));

/** The `name=value` part of every Set-Cookie of a response, joined for a Cookie header. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}
