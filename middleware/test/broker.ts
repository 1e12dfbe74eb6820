/**
 * A small real broker for tests: the parts of the broker's HTTP contract a vendor talks to
 * (`/api/epochs/current`, `/api/vendors`, `/api/redeem`, and for chains `/api/payword`,
 * `PUT /api/vendors/payword-key`, `POST /api/payword/chains`, `chains` in `/api/redeem`), from
 * docs/protocol.md with shared's functions, with switches to misbehave.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import {
  chainIdOf,
  chainMills,
  coinId,
  decodeCommitment,
  epochToJson,
  fromBase64,
  micromintNetwork,
  newSigningKey,
  signAuthorization,
  toBase64,
  verifyCoin,
  verifyLink,
  verifyRequest,
  type Commitment,
  type EpochParams,
} from '@micromint/shared';
import { listen, type Running } from './harness.ts';

/** A chain the test broker authorized (section 12.5), with what it cleared. */
export interface HeldChain {
  bytes: Uint8Array;
  c: Commitment;
  authorization: Uint8Array;
  /** c: the highest index cleared, and w_c. */
  clearedIndex: number;
  clearedLink: Uint8Array;
  released: boolean;
}

/** The test broker's PayWord side. */
export interface PaywordSide {
  /** The broker's Ed25519 key pair. */
  key: { secretKey: Uint8Array; publicKey: Uint8Array };
  maxLength: number;
  maxValue: number;
  maxExpirySeconds: number;
  clearGraceSeconds: number;
  /** False: the broker answers 404 to every payword call (a broker without chains). */
  enabled: boolean;
  /** Vendors' X25519 keys (base64) by vendor ID. */
  vendorKeys: Map<string, string>;
  /** Wallet keys (base64) by user ID. */
  walletKeys: Map<string, string[]>;
  /** Prepaid balances in mills by user ID. */
  balances: Map<string, number>;
  /** Authorized chains by chain id. */
  chains: Map<string, HeldChain>;
  /** Mills credited to vendors for chains, by vendor ID. */
  credits: Map<string, number>;
  /** Calls to GET /api/payword and PUT /api/vendors/payword-key. */
  termsCalls: number;
  keyCalls: number;
  /** The broker's clock (seconds) for authorization and clearing. */
  now(): number;
}

/** How `/api/redeem` behaves. */
export type RedeemMode = 'ok' | 'error-500' | 'lose-response' | 'too-large' | 'no-chains' | 'disabled';

export interface TestBroker extends Running {
  /** Registered vendors by API key. */
  vendors: Map<string, string>;
  /** batchId of every /api/redeem call, in order. */
  redeemCalls: string[];
  /** Coins redeemed (`epoch coinId`) -> vendor. */
  spent: Map<string, string>;
  /** Calls to /api/epochs/current. */
  epochCalls: number;
  mode: RedeemMode;
  /** The epoch served as current (settable). */
  epoch: EpochParams | undefined;
  /** Further fields sent in the current epoch's JSON (e.g. `redeemBy`), settable. */
  epochExtra: Record<string, unknown>;
  /** Registers a vendor directly, returning its API key. */
  register(origin: string): string;
  payword: PaywordSide;
}

/** Starts the test broker. */
export async function startBroker(o: { epochs: EpochParams[] }): Promise<TestBroker> {
  const known = new Map(o.epochs.map((e) => [e.id, e]));
  const batches = new Map<string, unknown>();
  const app = express();
  app.use(express.json({ limit: '5mb' }));
  const state = {
    vendors: new Map<string, string>(),
    redeemCalls: [] as string[],
    spent: new Map<string, string>(),
    epochCalls: 0,
    mode: 'ok' as RedeemMode,
    epoch: o.epochs[0],
    epochExtra: {} as Record<string, unknown>,
    payword: {
      key: newSigningKey(),
      maxLength: 100_000,
      maxValue: 1_000_000,
      maxExpirySeconds: 90 * 86_400,
      clearGraceSeconds: 7 * 86_400,
      enabled: true,
      vendorKeys: new Map(),
      walletKeys: new Map(),
      balances: new Map(),
      chains: new Map(),
      credits: new Map(),
      termsCalls: 0,
      keyCalls: 0,
      now: () => Math.floor(Date.now() / 1000),
    } as PaywordSide,
  };
  const register = (origin: string): string => {
    const key = `mmk_${randomBytes(16).toString('hex')}`;
    state.vendors.set(key, origin);
    return key;
  };

  app.get('/api/epochs/current', (_req, res) => {
    state.epochCalls++;
    if (!state.epoch) {
      res.status(404).json({ error: 'no_epoch' });
      return;
    }
    known.set(state.epoch.id, state.epoch);
    res.json({ epoch: { ...epochToJson(state.epoch), ...state.epochExtra }, broker: running.url, coinValueMills: 1 });
  });

  app.post('/api/vendors', (req, res) => {
    const origin = (req.body as { origin?: unknown }).origin;
    if (typeof origin !== 'string') {
      res.status(400).json({ error: 'origin required' });
      return;
    }
    if ([...state.vendors.values()].includes(origin)) {
      res.status(409).json({ error: 'already registered' });
      return;
    }
    res.status(201).json({ vendorId: origin, apiKey: register(origin) });
  });

  const vendorOf = (req: express.Request): string | undefined => {
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return key ? state.vendors.get(key) : undefined;
  };
  const pw = state.payword;
  const paywordOff = (res: express.Response): boolean => {
    if (!pw.enabled) res.status(404).json({ error: 'not_found', message: 'no such path' });
    return !pw.enabled;
  };

  app.get('/api/payword', (_req, res) => {
    if (paywordOff(res)) return;
    pw.termsCalls++;
    res.json({
      broker: running.url,
      network: micromintNetwork(running.url),
      brokerKey: toBase64(pw.key.publicKey),
      maxLength: pw.maxLength,
      maxValue: pw.maxValue,
      maxExpirySeconds: pw.maxExpirySeconds,
      clearGraceSeconds: pw.clearGraceSeconds,
    });
  });

  app.put('/api/vendors/payword-key', (req, res) => {
    if (paywordOff(res)) return;
    pw.keyCalls++;
    const vendor = vendorOf(req);
    if (!vendor) {
      res.status(401).json({ error: 'unauthorized', message: 'an API key is needed' });
      return;
    }
    const key = (req.body as { key?: unknown }).key;
    let ok: boolean;
    try {
      ok = typeof key === 'string' && fromBase64(key).length === 32;
    } catch {
      ok = false;
    }
    if (!ok) {
      res.status(400).json({ error: 'bad_request', message: 'key must be base64 of 32 bytes' });
      return;
    }
    pw.vendorKeys.set(vendor, key as string);
    res.json({ vendorId: vendor, key });
  });

  app.post('/api/payword/chains', (req, res) => {
    if (paywordOff(res)) return;
    const fail = (status: number, error: string, extra: Record<string, unknown> = {}) =>
      res.status(status).json({ error, message: error, ...extra });
    const body = req.body as { commitment?: unknown; walletKey?: unknown; signature?: unknown };
    if (typeof body.commitment !== 'string' || typeof body.walletKey !== 'string' || typeof body.signature !== 'string')
      return fail(400, 'bad_request');
    let bytes: Uint8Array;
    let c: Commitment;
    try {
      bytes = fromBase64(body.commitment);
      c = decodeCommitment(bytes);
    } catch {
      return fail(400, 'bad_commitment');
    }
    if (c.broker !== running.url) return fail(400, 'wrong_broker');
    if (!(pw.walletKeys.get(c.userId) ?? []).includes(body.walletKey)) return fail(403, 'wallet_not_connected');
    if (!verifyRequest(fromBase64(body.walletKey), fromBase64(body.signature), bytes)) return fail(403, 'bad_signature');
    if (![...state.vendors.values()].includes(c.vendorId)) return fail(404, 'unknown_vendor');
    if (pw.vendorKeys.get(c.vendorId) !== toBase64(c.vendorKey)) return fail(409, 'vendor_key_mismatch');
    if (c.length > pw.maxLength || c.value > pw.maxValue) return fail(400, 'bad_commitment');
    const now = pw.now();
    if (!(now < c.expiresAt && c.expiresAt <= now + pw.maxExpirySeconds)) return fail(400, 'bad_expiry');
    const chainId = chainIdOf(bytes);
    const held = pw.chains.get(chainId);
    const balance = pw.balances.get(c.userId) ?? 0;
    if (held)
      return res
        .status(200)
        .json({ chainId, authorization: toBase64(held.authorization), heldMills: chainMills(c), balanceMills: balance });
    if (balance < chainMills(c)) return fail(409, 'insufficient_funds', { balanceMills: balance });
    const authorization = signAuthorization(pw.key.secretKey, bytes);
    pw.balances.set(c.userId, balance - chainMills(c));
    pw.chains.set(chainId, { bytes, c, authorization, clearedIndex: 0, clearedLink: c.root, released: false });
    return res
      .status(201)
      .json({ chainId, authorization: toBase64(authorization), heldMills: chainMills(c), balanceMills: balance - chainMills(c) });
  });

  /** Clears one chain entry of a redemption for `vendor` (section 12.5, clearing steps 1 to 7). */
  const clearChain = (vendor: string, entry: { commitment?: unknown; index?: unknown; link?: unknown }) => {
    let bytes: Uint8Array;
    let c: Commitment;
    try {
      bytes = fromBase64(String(entry.commitment));
      c = decodeCommitment(bytes);
    } catch {
      return { chainId: '0'.repeat(32), status: 'refused', reason: 'bad-commitment', clearedIndex: 0, paidUnits: 0, paidMills: 0 };
    }
    const chainId = chainIdOf(bytes);
    const held = pw.chains.get(chainId);
    const answer = (status: string, paidUnits = 0, reason?: string) => ({
      chainId,
      status,
      ...(reason ? { reason } : {}),
      clearedIndex: held?.clearedIndex ?? 0,
      paidUnits,
      paidMills: paidUnits * c.value,
    });
    if (!held) return answer('refused', 0, 'bad-authorization');
    if (c.vendorId !== vendor) return answer('refused', 0, 'wrong-vendor');
    if (held.released || pw.now() > c.expiresAt + pw.clearGraceSeconds) return answer('refused', 0, 'chain-closed');
    const j = entry.index;
    if (!Number.isSafeInteger(j) || (j as number) < 1 || (j as number) > c.length) return answer('refused', 0, 'index-out-of-range');
    if ((j as number) <= held.clearedIndex) return answer('cleared', 0);
    let link: Uint8Array;
    try {
      link = fromBase64(String(entry.link));
    } catch {
      return answer('refused', 0, 'bad-link');
    }
    if (!verifyLink(c.salt, link, j as number, { index: held.clearedIndex, link: held.clearedLink }))
      return answer('refused', 0, 'bad-link');
    const units = (j as number) - held.clearedIndex;
    held.clearedIndex = j as number;
    held.clearedLink = link;
    pw.credits.set(vendor, (pw.credits.get(vendor) ?? 0) + units * c.value);
    return answer('cleared', units);
  };

  app.post('/api/redeem', (req, res) => {
    const vendor = vendorOf(req);
    if (!vendor) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    const body = req.body as {
      batchId: string;
      coins: { epoch: string; userId: string; coin: string; url: string; paidAt: string }[];
      chains?: { commitment?: unknown; index?: unknown; link?: unknown }[];
    };
    state.redeemCalls.push(body.batchId);
    if (state.mode === 'error-500') {
      res.status(500).json({ error: 'down for maintenance' });
      return;
    }
    if (state.mode === 'too-large') {
      res.status(413).json({ error: 'too large' });
      return;
    }
    if (state.mode === 'disabled') {
      res.status(403).json({
        error: 'vendor_disabled',
        message: 'Paying customers complained. Nothing was recorded: send the same batch again once the site is enabled.',
        reason: 'complaints from paying customers',
        disabledAt: '2026-12-01T00:00:00.000Z',
        dashboard: 'http://broker.test/vendors/dashboard',
      });
      return;
    }
    let answer = batches.get(body.batchId);
    if (!answer) {
      let credited = 0;
      const results = body.coins.map((c) => {
        const coin = fromBase64(c.coin);
        const id = coinId(coin);
        const epoch = known.get(c.epoch);
        if (!epoch) return { coinId: id, status: 'refused', reason: 'unknown-epoch' };
        const check = verifyCoin(epoch, coin, c.userId, vendor);
        if (!check.ok) return { coinId: id, status: 'refused', reason: check.reason };
        if (state.spent.has(`${c.epoch} ${id}`)) return { coinId: id, status: 'refused', reason: 'already-spent' };
        state.spent.set(`${c.epoch} ${id}`, vendor);
        credited++;
        return { coinId: id, status: 'credited' };
      });
      // A broker that does not know chains ('no-chains') answers the coins only.
      const chains = state.mode === 'no-chains' ? undefined : body.chains?.map((entry) => clearChain(vendor, entry));
      answer = { batchId: body.batchId, credited, creditedMills: credited, results, ...(chains ? { chains } : {}) };
      batches.set(body.batchId, answer);
    }
    if (state.mode === 'lose-response') {
      // The work is done and stored, but the vendor never hears back.
      req.socket.destroy();
      return;
    }
    res.json(answer);
  });

  const running = await listen(app);
  return Object.assign(state, running, { register }) as TestBroker;
}
