/**
 * Test plumbing: real HTTP servers on 127.0.0.1 port 0, temp dirs, payment headers, decoded answers.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodePaymentRequired,
  decodeSettlementResponse,
  encodeHeader,
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
