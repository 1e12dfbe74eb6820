/** The choice of scheme per site with the reader's settings (the rule and the terms of a new chain are tested in shared/test). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseScheme, type ChainFacts, type ChoiceInput } from '../src/background/choose-scheme.ts';
import { DEFAULT_SETTINGS } from '../src/background/settings.ts';

const chain = (o: Partial<ChainFacts> = {}): ChainFacts => ({
  mills: 1,
  units: 1,
  value: 1,
  chainFits: false,
  connected: true,
  heldMills: 0,
  methodKnown: true,
  ...o,
});
const input = (o: Partial<ChoiceInput> = {}): ChoiceInput => ({
  coins: { mills: 1, makeable: 50 },
  chain: chain(),
  paidPages: 0,
  settings: DEFAULT_SETTINGS,
  ...o,
});

test('an open chain that fits pays a link, whatever else is offered or set', () => {
  assert.deepEqual(chooseScheme(input({ chain: chain({ chainFits: true }) })), { scheme: 'payword', action: 'link' });
  assert.deepEqual(
    chooseScheme(input({ chain: chain({ chainFits: true, connected: false }), settings: { ...DEFAULT_SETTINGS, chainsEnabled: false } })),
    {
      scheme: 'payword',
      action: 'link',
    },
  );
  // ...but not without the method its MAC binds.
  assert.deepEqual(chooseScheme(input({ chain: chain({ chainFits: true, methodKnown: false }) })), { scheme: 'micromint' });
});

test('a site read once is paid with coins; from the second paid page within a day a chain is opened', () => {
  assert.deepEqual(chooseScheme(input({ paidPages: 0 })), { scheme: 'micromint' });
  assert.deepEqual(chooseScheme(input({ paidPages: 1 })), { scheme: 'payword', action: 'open', length: 100 });
  assert.deepEqual(chooseScheme(input({ paidPages: 7 })), { scheme: 'payword', action: 'open', length: 100 });
  const later = { ...DEFAULT_SETTINGS, openChainAfterPages: 4 };
  assert.deepEqual(chooseScheme(input({ paidPages: 2, settings: later })), { scheme: 'micromint' });
  assert.deepEqual(chooseScheme(input({ paidPages: 3, settings: later })), { scheme: 'payword', action: 'open', length: 100 });
  assert.deepEqual(chooseScheme(input({ paidPages: 0, settings: { ...DEFAULT_SETTINGS, openChainAfterPages: 1 } })), {
    scheme: 'payword',
    action: 'open',
    length: 100,
  });
});

test('no chain is opened when chains are off, the wallet is not connected, the method is unknown or the cap is reached: coins pay', () => {
  for (const o of [
    { settings: { ...DEFAULT_SETTINGS, chainsEnabled: false } },
    { chain: chain({ connected: false }) },
    { chain: chain({ methodKnown: false }) },
    { chain: chain({ heldMills: 1000 }) },
  ])
    assert.deepEqual(chooseScheme(input({ paidPages: 5, ...o })), { scheme: 'micromint' }, JSON.stringify(o));
});

test('a site offering only chains gets a chain regardless of the page count, if connected and within the cap; else the reason', () => {
  assert.deepEqual(chooseScheme({ ...input(), coins: undefined, paidPages: 0 } as ChoiceInput), {
    scheme: 'payword',
    action: 'open',
    length: 100,
  });
  const only = (o: Partial<ChoiceInput>) => chooseScheme({ chain: chain(), paidPages: 0, settings: DEFAULT_SETTINGS, ...o });
  assert.deepEqual(only({ chain: chain({ connected: false }) }), { scheme: 'none', reason: 'not-connected' });
  assert.deepEqual(only({ settings: { ...DEFAULT_SETTINGS, chainsEnabled: false } }), { scheme: 'none', reason: 'chains-disabled' });
  assert.deepEqual(only({ chain: chain({ heldMills: 1000 }) }), { scheme: 'none', reason: 'held-cap' });
  assert.deepEqual(only({ chain: chain({ methodKnown: false }) }), { scheme: 'none', reason: 'method-unknown' });
  // A site offering only coins gets coins.
  assert.deepEqual(chooseScheme({ coins: { mills: 3, makeable: 0 }, paidPages: 9, settings: DEFAULT_SETTINGS }), { scheme: 'micromint' });
});

test('coins too few for the site open a chain even on the first page', () => {
  assert.deepEqual(chooseScheme(input({ coins: { mills: 5, makeable: 4 }, paidPages: 0 })), {
    scheme: 'payword',
    action: 'open',
    length: 100,
  });
});
