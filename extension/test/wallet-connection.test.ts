/**
 * Connecting the wallet at the broker: the wallet key and the `micromint-wallet` block, only from
 * the configured broker's pages; the chain messages through the router; the chain settings.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64, isSigningPublicKey } from '@micromint/shared';
import { chainHandlers } from '../src/background/chain-handlers.ts';
import { checkSender, createRouter, SenderError, type Handlers } from '../src/background/router.ts';
import { DEFAULT_SETTINGS, SettingsError, SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { WalletConnection } from '../src/background/wallet-connection.ts';
import { send, ReplyError, type Message } from '../src/messages.ts';
import { brokerRecord, openWallet, WalletError } from '../src/wallet/index.ts';
import { BROKER, freshDbName, USER, VENDOR } from './helpers/mint.ts';

const ID = 'keidcgfameppkeebpbljidlefpmpjnmm';

async function setup(userId = '') {
  const db = await openWallet(freshDbName('connect'));
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, userId });
  return { db, settings, connection: new WalletConnection(db, settings) };
}

test('the wallet key goes only to the broker’s pages; it is made once and is an Ed25519 public key', async () => {
  const { db, connection } = await setup();
  await assert.rejects(connection.key(VENDOR), /only pages of the broker/);
  await assert.rejects(connection.key(undefined), /only pages of the broker/);
  const [a, b] = await Promise.all([connection.key(BROKER), connection.key(BROKER)]);
  assert.equal(a.walletKey, b.walletKey, 'two askers at once get the same key');
  assert.equal(isSigningPublicKey(fromBase64(a.walletKey)), true);
  assert.equal((await connection.key(BROKER)).walletKey, a.walletKey);
  db.close();
});

test('the account page’s block records the user and whether this wallet’s key is connected', async () => {
  const { db, settings, connection } = await setup();
  const { walletKey } = await connection.key(BROKER);
  const out = await connection.connected({ broker: `${BROKER}/`, userId: USER, walletKeys: [] }, BROKER);
  assert.deepEqual(out, { broker: BROKER, userId: USER, connected: false, walletKey });
  assert.equal((await settings.get()).userId, USER, 'an empty user id is filled in');
  assert.equal((await connection.connected({ broker: BROKER, userId: USER, walletKeys: ['other', walletKey] }, BROKER)).connected, true);
  const record = await brokerRecord(db, BROKER);
  assert.deepEqual([record?.userId, record?.connected], [USER, true]);
  // Disconnected on the broker's page: the wallet stops opening chains there.
  await connection.connected({ broker: BROKER, userId: USER, walletKeys: [] }, BROKER);
  assert.equal((await brokerRecord(db, BROKER))?.connected, false);
  db.close();
});

test('a block from another site, for another broker or user, or of the wrong shape is refused and records nothing', async () => {
  const { db, connection } = await setup(USER);
  const good = { broker: BROKER, userId: USER, walletKeys: [] };
  await assert.rejects(connection.connected(good, VENDOR), /only pages of the broker/);
  await assert.rejects(
    connection.connected({ ...good, broker: VENDOR }, BROKER),
    (e: unknown) => e instanceof WalletError && e.code === 'wrong-broker',
  );
  await assert.rejects(
    connection.connected({ ...good, userId: 'u_other' }, BROKER),
    (e: unknown) => e instanceof WalletError && e.code === 'wrong-user',
  );
  for (const bad of [
    null,
    { ...good, userId: 'has space' },
    { ...good, walletKeys: 'x' },
    { ...good, walletKeys: [7] },
    { ...good, broker: 'javascript:alert(1)' },
  ])
    await assert.rejects(
      connection.connected(bad, BROKER),
      (e: unknown) => e instanceof WalletError && e.code === 'invalid-message',
      JSON.stringify(bad),
    );
  assert.equal(await brokerRecord(db, BROKER), undefined);
  db.close();
});

test('the chain messages: broker-page ones from a content script, the listing from the wallet’s pages; unwired ones say so', async () => {
  const { db, settings } = await setup();
  const broker = { id: ID, url: `${BROKER}/account`, origin: BROKER, frameId: 0, tab: { id: 4 } };
  const shop = { id: ID, url: `${VENDOR}/`, origin: VENDOR, frameId: 0, tab: { id: 5 } };
  const options = { id: ID, url: `chrome-extension://${ID}/options.html`, origin: `chrome-extension://${ID}` };
  const m = (type: Message['type'], body: Record<string, unknown> = {}) => ({ type, body }) as Message;
  assert.equal(checkSender(m('wallet-key'), broker, ID).tabId, 4);
  assert.throws(() => checkSender(m('wallet-key'), options, ID), SenderError);
  assert.throws(() => checkSender(m('wallet-connected'), { ...broker, frameId: 1 }, ID), SenderError);
  assert.throws(() => checkSender(m('chains-list'), broker, ID), SenderError);
  assert.equal(checkSender(m('chains-list'), options, ID).origin, `chrome-extension://${ID}`);

  const route = createRouter({ ...chainHandlers(db, settings) } as unknown as Handlers, ID);
  const from = (sender: typeof broker | typeof options) => (message: Message) => route(message, sender)!;
  const { walletKey } = await send(from(broker), 'wallet-key', {});
  await assert.rejects(send(from(shop), 'wallet-key', {}), (e: unknown) => e instanceof ReplyError && e.code === 'forbidden-sender');
  const connected = await send(from(broker), 'wallet-connected', { broker: BROKER, userId: USER, walletKeys: [walletKey] });
  assert.equal(connected.connected, true);
  assert.deepEqual(await send(from(options), 'chains-list', {}), []);
  assert.deepEqual(await send(from(options), 'chains-list', { vendorId: VENDOR }), []);

  const bare = createRouter({} as unknown as Handlers, ID);
  await assert.rejects(
    send((message) => bare(message, broker)!, 'wallet-key', {}),
    (e: unknown) => e instanceof ReplyError && e.code === 'unsupported-message',
  );
  db.close();
});

test('the chain settings have their defaults and are validated', async () => {
  const settings = new SettingsStore(memoryArea());
  const s = await settings.get();
  assert.deepEqual(
    [s.chainsEnabled, s.openChainAfterPages, s.chainLinks, s.maxHeldMills, s.chainLifetimeSeconds],
    [true, 2, 100, 1000, 7 * 24 * 3600],
  );
  assert.equal(DEFAULT_SETTINGS.chainsEnabled, true);
  assert.deepEqual(
    await settings.update({ chainsEnabled: false, openChainAfterPages: 3, chainLinks: 500, maxHeldMills: 0, chainLifetimeSeconds: 3600 }),
    { ...DEFAULT_SETTINGS, chainsEnabled: false, openChainAfterPages: 3, chainLinks: 500, maxHeldMills: 0, chainLifetimeSeconds: 3600 },
  );
  for (const [change, field] of [
    [{ chainsEnabled: 'yes' }, 'chainsEnabled'],
    [{ openChainAfterPages: 0 }, 'openChainAfterPages'],
    [{ chainLinks: 100_001 }, 'chainLinks'],
    [{ chainLinks: 1.5 }, 'chainLinks'],
    [{ maxHeldMills: -1 }, 'maxHeldMills'],
    [{ chainLifetimeSeconds: 59 }, 'chainLifetimeSeconds'],
  ] as const)
    await assert.rejects(
      settings.update(change as never),
      (e: unknown) => e instanceof SettingsError && e.field === field,
      JSON.stringify(change),
    );
});
