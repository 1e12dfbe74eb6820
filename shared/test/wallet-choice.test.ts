/** The wallets' choice of scheme and the terms of a new chain (shared/src/wallet). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chainLifetime,
  chooseScheme,
  DEFAULT_CHAIN_POLICY,
  newChainLength,
  openingSize,
  planChain,
  type ChainFacts,
  type ChoiceInput,
} from '../src/index.ts';

/** Two links of 1 mill, the key connected, nothing held, no chain open. */
const BASE_FACTS: ChainFacts = { mills: 2, units: 2, value: 1, chainFits: false, connected: true, heldMills: 0, methodKnown: true };
const facts = (o: Partial<ChainFacts> = {}): ChainFacts => ({ ...BASE_FACTS, ...o });
const choose = (o: Partial<ChoiceInput>) =>
  chooseScheme({ coins: { mills: 2, makeable: 10 }, chain: facts(), paidBefore: 0, policy: DEFAULT_CHAIN_POLICY, ...o });

describe('chooseScheme', () => {
  test('links of a fitting chain pay, even with chains turned off or the key disconnected; not without the method', () => {
    const off = { ...DEFAULT_CHAIN_POLICY, chainsEnabled: false };
    assert.deepEqual(choose({ chain: facts({ chainFits: true, connected: false }), policy: off }), { scheme: 'payword', action: 'link' });
    assert.deepEqual(choose({ chain: facts({ chainFits: true, methodKnown: false }) }), { scheme: 'micromint' });
  });

  test('coins at the first paid request, a chain from the openChainAfter-th one', () => {
    assert.deepEqual(choose({ paidBefore: 0 }), { scheme: 'micromint' });
    assert.deepEqual(choose({ paidBefore: 1 }), { scheme: 'payword', action: 'open', length: 100 });
    const third = { ...DEFAULT_CHAIN_POLICY, openChainAfter: 3 };
    assert.deepEqual(choose({ paidBefore: 1, policy: third }), { scheme: 'micromint' });
    assert.deepEqual(choose({ paidBefore: 2, policy: third }), { scheme: 'payword', action: 'open', length: 100 });
  });

  test('a chain at once when coins fall short or are not offered; the reason when none can be opened', () => {
    assert.deepEqual(choose({ coins: { mills: 2, makeable: 1 } }), { scheme: 'payword', action: 'open', length: 100 });
    assert.deepEqual(choose({ coins: undefined, chain: facts({ units: 150, mills: 150 }) }), {
      scheme: 'payword',
      action: 'open',
      length: 150,
    });
    const blocked: [Partial<ChoiceInput>, string][] = [
      [{ policy: { ...DEFAULT_CHAIN_POLICY, chainsEnabled: false } }, 'chains-disabled'],
      [{ chain: facts({ methodKnown: false }) }, 'method-unknown'],
      [{ chain: facts({ connected: false }) }, 'not-connected'],
      [{ chain: facts({ heldMills: 999 }) }, 'held-cap'],
    ];
    for (const [o, reason] of blocked) {
      assert.deepEqual(choose({ ...o, coins: undefined }), { scheme: 'none', reason }, reason);
      assert.deepEqual(choose({ ...o, paidBefore: 4 }), { scheme: 'micromint' }, `${reason}, coins offered`);
    }
  });

  test('an offer of coins alone is paid with coins', () => {
    assert.deepEqual(chooseScheme({ coins: { mills: 3, makeable: 0 }, paidBefore: 9, policy: DEFAULT_CHAIN_POLICY }), {
      scheme: 'micromint',
    });
  });

  test('planChain names the first block, in order: chains off, method, connection, cap', () => {
    const off = { ...DEFAULT_CHAIN_POLICY, chainsEnabled: false };
    assert.deepEqual(planChain(facts({ methodKnown: false, connected: false }), off), { block: 'chains-disabled' });
    assert.deepEqual(planChain(facts({ methodKnown: false, connected: false }), DEFAULT_CHAIN_POLICY), { block: 'method-unknown' });
    assert.deepEqual(planChain(facts({ maxLength: 30 }), DEFAULT_CHAIN_POLICY), { length: 30 });
  });
});

describe('chain terms', () => {
  const base = { units: 1, value: 1, chainLinks: 100, heldMills: 0, maxHeldMills: 1000 };
  test('newChainLength: chainLinks, at least the payment, at most the broker, within the held cap, else 0', () => {
    const cases: [Partial<typeof base> & { maxLength?: number }, number][] = [
      [{}, 100],
      [{ units: 150 }, 150],
      [{ maxLength: 40 }, 40],
      [{ units: 50, maxLength: 40 }, 0],
      [{ heldMills: 950 }, 50],
      [{ value: 10, heldMills: 500 }, 50],
      [{ heldMills: 1000 }, 0],
      [{ units: 3, heldMills: 998 }, 0],
      [{ maxHeldMills: 0 }, 0],
    ];
    for (const [o, length] of cases) assert.equal(newChainLength({ ...base, ...o }), length, JSON.stringify(o));
  });

  test('chainLifetime: the reader\u2019s, below the broker\u2019s most by a minute or a tenth of it, at least 1', () => {
    assert.equal(chainLifetime(604_800, 2_592_000), 604_800);
    assert.equal(chainLifetime(604_800, 3600), 3540);
    assert.equal(chainLifetime(604_800, 100), 90);
    assert.equal(chainLifetime(604_800, 0), 1);
  });

  test('openingSize sizes again against what is held now, and refuses a chain that would not outlive the margin', () => {
    const now = 1_700_000_000_000;
    const o = {
      units: 2,
      value: 1,
      length: 100,
      heldMills: 0,
      maxHeldMills: 1000,
      maxLength: 10_000,
      lifetimeSeconds: 3600,
      maxExpirySeconds: 86_400,
      now,
    };
    assert.deepEqual(openingSize(o), { length: 100, expiresAt: 1_700_003_600 });
    assert.deepEqual(openingSize({ ...o, heldMills: 960 }), { length: 40, expiresAt: 1_700_003_600 });
    assert.deepEqual(openingSize({ ...o, maxLength: 10 }), { length: 10, expiresAt: 1_700_003_600 });
    assert.deepEqual(openingSize({ ...o, heldMills: 999 }), {
      refusal: 'held-cap',
      message: 'your open chains already hold close to your limit of 1000 mills',
    });
    assert.deepEqual(openingSize({ ...o, maxExpirySeconds: 120 }), {
      refusal: 'short-lived',
      message: 'the broker lets chains live 120 s only',
    });
  });
});
