import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMoney, formatPrice } from '../src/index.ts';

test('formatMoney: cents under a dollar, dollars from a dollar up, every mill shown', () => {
  const cases: Array<[number, string]> = [
    [0, '$0.00'],
    [1, '0.1¢'],
    [8, '0.8¢'],
    [10, '1¢'],
    [50, '5¢'],
    [125, '12.5¢'],
    [999, '99.9¢'],
    [1000, '$1.00'],
    [4760, '$4.76'],
    [4763, '$4.763'],
    [5000, '$5.00'],
    [1_234_500, '$1,234.50'],
    [-8, '-0.8¢'],
    [-4763, '-$4.763'],
  ];
  for (const [mills, text] of cases) assert.equal(formatMoney(mills), text, `${mills} mills`);
});

test('formatMoney: the text reads back to the same mills', () => {
  for (let mills = 0; mills < 30_000; mills += 7) {
    const t = formatMoney(mills);
    const back = t.endsWith('¢') ? Math.round(Number(t.slice(0, -1)) * 10) : Math.round(Number(t.slice(1).replace(/,/g, '')) * 1000);
    assert.equal(back, mills, t);
  }
});

test('formatMoney: a non-integer is a TypeError', () => {
  assert.throws(() => formatMoney(1.5), TypeError);
  assert.throws(() => formatMoney(Number.NaN), TypeError);
  assert.throws(() => formatMoney('5' as unknown as number), TypeError);
});

test('formatPrice: units and money', () => {
  assert.equal(formatPrice(2), '2 coins (0.2¢)');
  assert.equal(formatPrice(1, 'link'), '1 link (0.1¢)');
  assert.equal(formatPrice(20, 'link', 2), '2 links (2¢)');
  assert.equal(formatPrice(1500), '1,500 coins ($1.50)');
});
