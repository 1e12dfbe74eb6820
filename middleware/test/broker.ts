/**
 * A small real broker for tests: the parts of the broker's HTTP contract a vendor talks to
 * (`/api/epochs/current`, `/api/vendors`, `/api/redeem`), with switches to misbehave.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { coinId, epochToJson, fromBase64, verifyCoin, type EpochParams } from '@micromint/shared';
import { listen, type Running } from './harness.ts';

/** How `/api/redeem` behaves. */
export type RedeemMode = 'ok' | 'error-500' | 'lose-response' | 'too-large';

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

  app.post('/api/redeem', (req, res) => {
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const vendor = key ? state.vendors.get(key) : undefined;
    if (!vendor) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    const body = req.body as { batchId: string; coins: { epoch: string; userId: string; coin: string; url: string; paidAt: string }[] };
    state.redeemCalls.push(body.batchId);
    if (state.mode === 'error-500') {
      res.status(500).json({ error: 'down for maintenance' });
      return;
    }
    if (state.mode === 'too-large') {
      res.status(413).json({ error: 'too large' });
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
      answer = { batchId: body.batchId, credited, creditedMills: credited, results };
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
