/**
 * Settings the reader sets on the options page, and the ones the broker gives: the receipt option
 * (on by default, also for a wallet whose settings were saved before it existed), the user id (the
 * broker's, never the page's), and money in the form read back as the one money rule writes it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMoney } from '@micromint/shared';
import { DEFAULT_SETTINGS, SettingsError, SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { FieldError, parseMoney, toForm, toSettings } from '../src/options/fields.ts';

const USER = 'u_0123456789abcdef';

test('receipts on the page are on by default, and can be turned off and on again', async () => {
  const settings = new SettingsStore(memoryArea());
  assert.equal(DEFAULT_SETTINGS.showReceipts, true);
  assert.equal((await settings.get()).showReceipts, true);
  assert.equal((await settings.updateFromPage({ showReceipts: false })).showReceipts, false);
  assert.equal((await settings.get()).showReceipts, false);
  assert.equal((await settings.updateFromPage({ showReceipts: true })).showReceipts, true);
  await assert.rejects(
    settings.updateFromPage({ showReceipts: 'no' as never }),
    (e: unknown) => e instanceof SettingsError && e.field === 'showReceipts',
  );
});

test('settings saved by an older wallet keep their values and get the new settings at their defaults', async () => {
  // What storage.local holds for a wallet from before receipts and userIdFrom.
  const area = memoryArea();
  await area.set({ brokerUrl: 'https://broker.example', userId: USER, autopayThreshold: 8, chainsEnabled: false });
  const s = await new SettingsStore(area).get();
  assert.deepEqual(s, {
    ...DEFAULT_SETTINGS,
    brokerUrl: 'https://broker.example',
    userId: USER,
    autopayThreshold: 8,
    chainsEnabled: false,
  });
  assert.equal(s.showReceipts, true);
  assert.equal(s.userIdFrom, '');
  // A stored receipt setting that is not a boolean reads as the default.
  await area.set({ showReceipts: 'yes' });
  assert.equal((await new SettingsStore(area).get()).showReceipts, true);
});

test('the user id comes from the broker: the options page cannot set it, the worker can', async () => {
  const settings = new SettingsStore(memoryArea());
  for (const change of [{ userId: USER }, { userIdFrom: 'https://broker.example' }, { userId: '' }])
    await assert.rejects(settings.updateFromPage(change), (e: unknown) => e instanceof SettingsError && e.field === Object.keys(change)[0]);
  assert.equal((await settings.get()).userId, '');
  const s = await settings.update({ userId: USER, userIdFrom: 'https://broker.example' });
  assert.equal(s.userId, USER);
  assert.equal(s.userIdFrom, 'https://broker.example');
  await assert.rejects(
    settings.update({ userIdFrom: 'https://broker.example/path' }),
    (e: unknown) => e instanceof SettingsError && e.field === 'userIdFrom',
  );
});

test('money in the form: what formatMoney writes reads back as the same mills; dollars and cents can be typed', () => {
  for (const mills of [0, 1, 5, 8, 50, 999, 1000, 2500, 4760, 4763, 1_234_500])
    assert.equal(parseMoney(formatMoney(mills)), mills, formatMoney(mills));
  assert.equal(parseMoney('$0.005'), 5);
  assert.equal(parseMoney('0.008'), 8);
  assert.equal(parseMoney('.5'), 500);
  assert.equal(parseMoney('5¢'), 50);
  assert.equal(parseMoney('.5¢'), 5);
  assert.equal(parseMoney(' 0.8 ¢ '), 8);
  for (const bad of ['0.05¢', '$0.0005', '-1', 'abc', '¢', '$']) assert.equal(parseMoney(bad), undefined, bad);
});

test('the form shows money by the one rule, sends no user id, and carries the receipt option', () => {
  const form = toForm({ ...DEFAULT_SETTINGS, userId: USER, showReceipts: false });
  assert.equal(form.threshold, '0.5¢');
  assert.equal(form.maxHeldMills, '$1.00');
  assert.equal(form.showReceipts, false);
  assert.equal('userId' in form, false);
  const change = toSettings(form);
  assert.equal('userId' in change, false);
  assert.equal(change.autopayThreshold, DEFAULT_SETTINGS.autopayThreshold);
  assert.equal(change.maxHeldMills, DEFAULT_SETTINGS.maxHeldMills);
  assert.equal(change.showReceipts, false);
  assert.throws(
    () => toSettings({ ...form, threshold: '0.05¢' }),
    (e: unknown) =>
      e instanceof FieldError && e.field === 'autopayThreshold' && /from \$0\.00 to \$1\.00, in steps of 0\.1¢/.test(e.message),
  );
});
