import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRequestCredit, encodeSendExpired, MICROMINT_MIME } from '@micromint/shared';
import { badgeText } from '../src/background/badge.ts';
import { FundsService, interpretCreditAnswer, RETURNS_NOT_OPEN, type FetchLike } from '../src/background/funds.ts';
import { checkSender, createRouter, SenderError } from '../src/background/router.ts';
import { DEFAULT_SETTINGS, SettingsError, SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { messageText } from '../src/content/broker-page.ts';
import { send, ReplyError, type Message } from '../src/messages.ts';
import { balance, openWallet, walletSummary, WalletError } from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;
const text = fundsText(epoch, sets);

test('settings start at the defaults and are validated field by field', async () => {
  const area = memoryArea();
  const settings = new SettingsStore(area);
  assert.deepEqual(await settings.get(), DEFAULT_SETTINGS);
  assert.equal(DEFAULT_SETTINGS.autopayThreshold, 5);
  assert.equal(DEFAULT_SETTINGS.brokerUrl, 'http://127.0.0.1:4000');
  assert.deepEqual(await settings.update({ brokerUrl: ' https://broker.example/ ', autopayThreshold: 12, userId: USER }), {
    ...DEFAULT_SETTINGS,
    brokerUrl: 'https://broker.example',
    autopayThreshold: 12,
    userId: USER,
  });
  for (const [change, field] of [
    [{ brokerUrl: 'ftp://x' }, 'brokerUrl'],
    [{ brokerUrl: 'not a url' }, 'brokerUrl'],
    [{ autopayThreshold: -1 }, 'autopayThreshold'],
    [{ autopayThreshold: 2.5 }, 'autopayThreshold'],
    [{ autopayThreshold: Number.NaN }, 'autopayThreshold'],
    [{ userId: 'has space' }, 'userId'],
  ] as const) {
    await assert.rejects(settings.update(change), (e: unknown) => e instanceof SettingsError && e.field === field);
  }
  // A corrupt stored value falls back to its default.
  await area.set({ autopayThreshold: 'lots' });
  assert.equal((await settings.get()).autopayThreshold, 5);
});

async function fundsService(fetchFn?: FetchLike) {
  const db = await openWallet(freshDbName('svc'));
  const settings = new SettingsStore(memoryArea());
  return { db, settings, funds: new FundsService(db, settings, fetchFn) };
}

test('funds are accepted only from the configured broker, and fill in the user id', async () => {
  const { db, settings, funds } = await fundsService();
  await assert.rejects(funds.importFromPage(text, VENDOR), /only pages of the broker/);
  await assert.rejects(funds.importFromPage(text, undefined), /only pages of the broker/);
  assert.equal(await balance(db), 0);
  const stored = await funds.importFromPage(text, BROKER);
  assert.deepEqual(stored, { withdrawalId: 'w_1', coins, imported: true, balance: coins });
  assert.equal((await settings.get()).userId, USER);
  assert.equal((await funds.importFromPage(text, BROKER)).imported, false);
  db.close();
});

test('a wallet whose user id is set refuses funds for another user', async () => {
  const { db, settings, funds } = await fundsService();
  await settings.update({ userId: 'u_fedcba9876543210' });
  await assert.rejects(funds.importFromPage(text, BROKER), (e: unknown) => e instanceof WalletError && e.code === 'wrong-user');
  db.close();
});

test('Send-Expired posts a Request-Credit of the unspent coins to the broker', async () => {
  const posted: { url: string; body: string; type: string }[] = [];
  const { db, funds } = await fundsService(async (url, init) => {
    posted.push({ url, body: init.body, type: init.headers['Content-Type']! });
    const n = decodeRequestCredit(init.body).balls.length;
    return { ok: true, status: 200, text: async () => JSON.stringify({ credited: n, creditedMills: n, refused: 0 }) };
  });
  await funds.importFromPage(text, BROKER);
  const msg = encodeSendExpired({ broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: `${BROKER}/api/credit` });
  await assert.rejects(funds.returnFromPage(msg, VENDOR), /only pages of the broker/);
  const evil = encodeSendExpired({ broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: 'http://127.0.0.1:6666/steal' });
  await assert.rejects(funds.returnFromPage(evil, BROKER), (e: unknown) => e instanceof WalletError && e.code === 'wrong-broker');
  assert.equal(posted.length, 0);
  const done = await funds.returnFromPage(msg, BROKER);
  assert.deepEqual(done, { returned: coins, credited: coins, creditedMills: coins, state: 'credited' });
  assert.equal(posted[0]?.url, `${BROKER}/api/credit`);
  assert.equal(posted[0]?.type, MICROMINT_MIME);
  assert.equal(decodeRequestCredit(posted[0]!.body).balls.length, coins);
  assert.equal(await balance(db), 0);
  assert.deepEqual(await funds.returnFromPage(msg, BROKER), { returned: 0, credited: 0, creditedMills: 0, state: 'nothing' });
  db.close();
});

test('a return the broker never answered stays pending; one it refused gives the coins back', async () => {
  let mode: 'down' | 'refuse' = 'down';
  const { db, funds } = await fundsService(async () => {
    if (mode === 'down') throw new Error('connection refused');
    return { ok: false, status: 400, text: async () => JSON.stringify({ error: 'epoch still open' }) };
  });
  await funds.importFromPage(text, BROKER);
  const msg = encodeSendExpired({ broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: `${BROKER}/api/credit` });
  assert.equal((await funds.returnFromPage(msg, BROKER)).state, 'pending');
  assert.equal(await balance(db), 0);
  mode = 'refuse';
  const refused = await funds.returnFromPage(msg, BROKER);
  assert.equal(refused.state, 'refused');
  assert.equal(refused.message, 'epoch still open');
  assert.equal(await balance(db), coins);
  assert.deepEqual(interpretCreditAnswer(503, 'busy'), { kind: 'failed', error: 'HTTP 503' });
  db.close();
});

test("a return before the epoch's returnsFrom is refused 409: the coins come back and the wallet knows when returns open", async () => {
  const opens = '2100-01-02T03:04:05.000Z';
  const tooEarly = JSON.stringify({ error: RETURNS_NOT_OPEN, message: 'returns of epoch test-1 open at ...', returnsFrom: opens });
  assert.deepEqual(interpretCreditAnswer(409, tooEarly), { kind: 'not-open', error: RETURNS_NOT_OPEN, returnsFrom: opens });
  // A 409 without a readable date is still a refusal: the coins come back all the same.
  assert.equal(interpretCreditAnswer(409, JSON.stringify({ error: RETURNS_NOT_OPEN, returnsFrom: 'soon' })).kind, 'refused');

  let open = false;
  const { db, funds } = await fundsService(async (_url, init) => {
    const n = decodeRequestCredit(init.body).balls.length;
    return open
      ? { ok: true, status: 200, text: async () => JSON.stringify({ credited: n, creditedMills: n }) }
      : { ok: false, status: 409, text: async () => tooEarly };
  });
  await funds.importFromPage(text, BROKER);
  const msg = encodeSendExpired({ broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: `${BROKER}/api/credit` });
  const early = await funds.returnFromPage(msg, BROKER);
  assert.deepEqual(early, {
    returned: coins,
    credited: 0,
    creditedMills: 0,
    state: 'not-open',
    message: RETURNS_NOT_OPEN,
    returnsFrom: opens,
  });
  assert.equal(await balance(db), coins, 'not marked returned: every coin is back to unspent');
  const summary = await walletSummary(db);
  assert.equal(summary.epochs[0]?.returnsFrom, opens, 'the popup can say when returns open');
  assert.equal(summary.sets[0]?.returned, 0);
  open = true;
  assert.equal((await funds.returnFromPage(msg, BROKER)).state, 'credited');
  assert.equal(await balance(db), 0);
  db.close();
});

const ID = 'keidcgfameppkeebpbljidlefpmpjnmm';
const msg = (type: Message['type'], body: Record<string, unknown>) => ({ type, body }) as Message;

test('the router checks who speaks: content scripts for pages, the extension for wallet and settings', () => {
  const tab = { id: ID, url: `${VENDOR}/a#frag`, origin: VENDOR, frameId: 0, tab: { id: 3 } };
  assert.deepEqual(checkSender(msg('page-loaded', { url: `${VENDOR}/a` }), tab, ID), { tabId: 3, url: `${VENDOR}/a`, origin: VENDOR });
  assert.throws(() => checkSender(msg('page-loaded', { url: `${VENDOR}/b` }), tab, ID), SenderError);
  // A frame speaks for its own URL (a paid page inside an iframe); broker messages come only from a top frame.
  assert.deepEqual(checkSender(msg('page-loaded', { url: `${VENDOR}/a` }), { ...tab, frameId: 2 }, ID), {
    tabId: 3,
    frameId: 2,
    url: `${VENDOR}/a`,
    origin: VENDOR,
  });
  assert.throws(() => checkSender(msg('funds-withdrawn', { text: '' }), { ...tab, frameId: 2 }, ID), SenderError);
  assert.throws(() => checkSender(msg('price-hints', { urls: [] }), { ...tab, frameId: 2 }, ID), SenderError);
  assert.throws(() => checkSender(msg('page-loaded', { url: `${VENDOR}/a` }), { ...tab, id: 'other' }, ID), SenderError);
  assert.throws(() => checkSender(msg('settings-set', { autopayThreshold: 1000 }), tab, ID), SenderError);
  assert.throws(() => checkSender(msg('wallet-summary', {}), tab, ID), SenderError);
  const popup = { id: ID, url: `chrome-extension://${ID}/popup.html`, origin: `chrome-extension://${ID}` };
  assert.equal(checkSender(msg('wallet-summary', {}), popup, ID).origin, `chrome-extension://${ID}`);
  assert.throws(() => checkSender(msg('page-loaded', { url: popup.url }), popup, ID), SenderError);
});

test('the router answers with typed replies and ignores foreign messages', async () => {
  const handlers = {
    'settings-get': async () => ({ ...DEFAULT_SETTINGS }),
    'settings-set': async () => {
      throw new SettingsError('autopayThreshold', 'bad threshold');
    },
  } as unknown as Parameters<typeof createRouter>[0];
  const route = createRouter(handlers, ID);
  const popup = { id: ID, url: `chrome-extension://${ID}/options.html`, origin: `chrome-extension://${ID}` };
  assert.equal(route({ hello: 'world' }, popup), undefined);
  assert.equal(route({ type: 'nope', body: {} }, popup), undefined);
  const transport = (m: Message) => route(m, popup)!;
  assert.deepEqual(await send(transport, 'settings-get', {}), DEFAULT_SETTINGS);
  await assert.rejects(
    send(transport, 'settings-set', { autopayThreshold: 1 }),
    (e: unknown) => e instanceof ReplyError && e.field === 'autopayThreshold' && e.message === 'bad threshold',
  );
  const page = { id: ID, url: `${VENDOR}/`, origin: VENDOR, frameId: 0, tab: { id: 1 } };
  await assert.rejects(
    send((m) => route(m, page)!, 'settings-get', {}),
    (e: unknown) => e instanceof ReplyError && e.code === 'forbidden-sender',
  );
});

test('embedded messages lose template indentation; the badge fits four characters', () => {
  assert.equal(
    messageText('\n    MicroMint-1.0\n    Send-Expired\n\n    End-MicroMint\n  '),
    'MicroMint-1.0\nSend-Expired\nEnd-MicroMint\n',
  );
  assert.deepEqual([0, 7, 999, 1000, 1234, 9999, 12_345, 5_000_000].map(badgeText), ['', '7', '999', '1k', '1.2k', '9.9k', '12k', '999k']);
});
