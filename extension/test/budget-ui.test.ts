/**
 * The budgets as the popup and the options page show them, without the DOM: the chart's bars
 * from the data, a site's spending in words against its budget, how full a budget is, and the
 * options page reading a site and an amount as typed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetFieldError, readBudgetFields, siteOrigin } from '../src/options/budget-form.ts';
import { budgetState, percentOf, spendingText } from '../src/popup/budgets.ts';
import { chartModel, chartSummary } from '../src/popup/spending-chart.ts';

const days = (mills: number[]) => mills.map((m, i) => ({ day: `2026-05-${String(i + 1).padStart(2, '0')}`, mills: m }));

test('the chart: a slot a day, the highest day at full height, a small day still visible, an empty day flat', () => {
  const m = chartModel(days([0, 10, 1, 5]), { width: 40, height: 50, gap: 2 });
  assert.equal(m.max, 10);
  assert.equal(m.total, 16);
  assert.deepEqual(
    m.bars.map((b) => [b.x, b.width, b.height, b.y]),
    [
      [1, 8, 0, 50],
      [11, 8, 50, 0],
      [21, 8, 5, 45],
      [31, 8, 25, 25],
    ],
  );
  assert.equal(chartModel(days([0, 1000]), { height: 50 }).bars[0]!.height, 0);
  assert.equal(chartModel(days([1, 1000]), { height: 50 }).bars[0]!.height, 2, 'a day with spending never vanishes');
  assert.deepEqual(
    chartModel(days([0, 0])).bars.map((b) => b.height),
    [0, 0],
  );
  assert.equal(chartSummary(chartModel(days([0, 0]))), 'Nothing spent in the last 2 days.');
  assert.match(chartSummary(chartModel(days([3, 12, 0]))), /^Spending per day over the last 3 days: 1\.5¢ in all, most on .+ \(1\.2¢\)\.$/);
});

test("a site's spending in words and how full its budget is", () => {
  assert.equal(spendingText({ spent: 3, budget: { period: 'day', limit: 10 } }), '0.3¢ of 1¢ today');
  assert.equal(spendingText({ spent: 1250, budget: { period: 'month', limit: 2000 } }), '$1.25 of $2.00 this month');
  assert.equal(spendingText({ spent: 7 }), '0.7¢ this month');
  assert.deepEqual(
    [budgetState(1, undefined), budgetState(1, 10), budgetState(8, 10), budgetState(10, 10), budgetState(0, 0)],
    ['none', 'ok', 'near', 'full', 'full'],
  );
  assert.deepEqual([percentOf(3, 10), percentOf(30, 10), percentOf(0, 0)], [30, 100, 100]);
});

test('the options page reads a site as typed into its origin, and an amount as money', () => {
  assert.equal(siteOrigin('news.example'), 'https://news.example');
  assert.equal(siteOrigin(' https://news.example/articles/1?x '), 'https://news.example');
  assert.equal(siteOrigin('127.0.0.1:4001'), 'http://127.0.0.1:4001');
  assert.equal(siteOrigin('http://127.0.0.1:4001/a'), 'http://127.0.0.1:4001');
  for (const bad of ['', '   ', 'ftp://news.example', 'javascript:alert(1)', 'http://'])
    assert.throws(
      () => siteOrigin(bad),
      (e: unknown) => e instanceof BudgetFieldError && e.field === 'site',
      JSON.stringify(bad),
    );
  assert.deepEqual(readBudgetFields('50¢', 'month'), { period: 'month', limit: 500 });
  assert.deepEqual(readBudgetFields('$2.00', 'day'), { period: 'day', limit: 2000 });
  assert.deepEqual(readBudgetFields('0.2¢', 'day'), { period: 'day', limit: 2 });
  for (const [amount, period, field] of [
    ['lots', 'day', 'limit'],
    ['-1', 'day', 'limit'],
    ['$20,000', 'day', 'limit'],
    ['5¢', 'week', 'period'],
  ] as const)
    assert.throws(
      () => readBudgetFields(amount, period),
      (e: unknown) => e instanceof BudgetFieldError && e.field === field,
    );
});
