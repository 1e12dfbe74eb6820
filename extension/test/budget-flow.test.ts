/**
 * Budgets in the worker's flows and on the page: how the threshold and budgets combine, a site's
 * budget paying silently until it is used up and then asking with the budget offer, "allow up to"
 * raising it and paying in one step (navigation and fetch()), two tabs at once, the prompt's offer
 * answering only a person's click, and the budget messages (only from the wallet's own pages).
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeader, micromintRequirements } from '@micromint/shared';
import { budgetHandlers } from '../src/background/budget-handlers.ts';
import { decide } from '../src/background/decide.ts';
import { FetchFlow } from '../src/background/fetch-flow.ts';
import { PaymentFlow } from '../src/background/payment-flow.ts';
import { checkSender, createRouter, SenderError } from '../src/background/router.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { PROMPT_ID } from '../src/content/ui.ts';
import { actOn } from '../src/content/verdicts.ts';
import { ReplyError, send, type Message, type PageVerdict, type Transport } from '../src/messages.ts';
import { balance, setBudget, type BudgetOver } from '../src/wallet/index.ts';
import { installFakeDocument } from './helpers/dom.ts';
import { fundedWallet, testFlow } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;

async function setup(threshold = 5) {
  const db = await fundedWallet('budget-flow', epoch, sets);
  const { flow, settings, fake } = await testFlow(db, { threshold });
  return { db, settings, flow, fake };
}

const terms = (url: string, price: number) => [
  {
    name: 'payment-required',
    value: challengeHeader(url, [micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id })]),
  },
];
const paid = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 'pay_1', network: 'micromint:x' }) }];

/** Tab `tab` opens `url`, a 402 of `price`; resolves with what the page is told. */
async function open(flow: PaymentFlow, tab: number, url: string, price: number): Promise<PageVerdict> {
  await flow.onMainFrameResponse(tab, url, 402, terms(url, price));
  return flow.pageLoaded(tab, url);
}

const over = (o: Partial<BudgetOver> = {}): BudgetOver => ({
  scope: 'site',
  site: VENDOR,
  period: 'day',
  limit: 2,
  spent: 2,
  price: 1,
  suggested: 10,
  ...o,
});

test('threshold and budgets: silent only at or under the threshold and within every budget', () => {
  const funds = { held: 50, makeable: 40 };
  assert.deepEqual(decide(3, 5, funds), { kind: 'autopay' });
  assert.deepEqual(decide(3, 5, funds, over()), { kind: 'confirm', over: over() });
  assert.deepEqual(decide(8, 5, funds), { kind: 'confirm' });
  assert.deepEqual(decide(8, 5, funds, over()), { kind: 'confirm', over: over() });
  assert.deepEqual(decide(41, 5, funds, over()), { kind: 'insufficient', held: 50, makeable: 40 }, 'no offer the wallet could not pay');
});

test("a site's budget pays silently until it is used up, then asks with the offer; allowing raises it and pays", async () => {
  const { db, flow } = await setup();
  await setBudget(db, VENDOR, { period: 'day', limit: 2 });
  for (const page of ['/a', '/b']) {
    assert.equal((await open(flow, 1, VENDOR + page, 1)).action, 'paying', page);
    await flow.onMainFrameResponse(1, VENDOR + page, 200, paid);
  }
  const asked = await open(flow, 1, `${VENDOR}/c`, 1);
  assert.deepEqual(asked, {
    action: 'confirm',
    broker: false,
    price: 1,
    vendorId: VENDOR,
    threshold: 5,
    balance: coins - 2,
    budget: over(),
  });
  assert.equal(await balance(db), coins - 2, 'asking spends nothing');
  // The reader clicks "Allow 127.0.0.1:4001 up to 1¢ a day": the budget is set and the page paid.
  assert.equal((await flow.confirm(1, `${VENDOR}/c`, { scope: 'site', period: 'day', limit: 10 })).action, 'paying');
  assert.equal((await db.get('budgets', VENDOR))?.limit, 10);
  assert.equal(await balance(db), coins - 3);
  assert.equal((await open(flow, 1, `${VENDOR}/d`, 1)).action, 'paying', 'silent again under the new budget');
  // Above the threshold the wallet asks whatever the budget; a budget it would pass goes with the question.
  const dear = await open(flow, 1, `${VENDOR}/dear`, 8);
  assert.equal(dear.action, 'confirm');
  assert.deepEqual(dear.action === 'confirm' && dear.budget, over({ limit: 10, spent: 4, price: 8, suggested: 20 }));
  db.close();
});

test('"pay" without "allow" pays once and leaves the budget as it was', async () => {
  const { db, flow } = await setup();
  await setBudget(db, VENDOR, { period: 'month', limit: 1 });
  assert.equal((await open(flow, 1, `${VENDOR}/a`, 2)).action, 'confirm');
  assert.equal((await flow.confirm(1, `${VENDOR}/a`)).action, 'paying');
  assert.equal((await db.get('budgets', VENDOR))?.limit, 1);
  const next = await open(flow, 1, `${VENDOR}/b`, 1);
  assert.deepEqual(next.action === 'confirm' && next.budget, over({ period: 'month', limit: 1, spent: 2, suggested: 10 }));
  db.close();
});

test('two tabs at once against a budget that holds one more page: one pays, the other is asked', async () => {
  for (let round = 0; round < 3; round++) {
    const { db, flow } = await setup();
    await setBudget(db, VENDOR, { period: 'day', limit: 3 });
    assert.equal((await open(flow, 1, `${VENDOR}/first`, 2)).action, 'paying');
    const [one, two] = await Promise.all([open(flow, 2, `${VENDOR}/x`, 1), open(flow, 3, `${VENDOR}/y`, 1)]);
    assert.deepEqual([one.action, two.action].sort(), ['confirm', 'paying'], `round ${round}`);
    const asked = [one, two].find((v) => v.action === 'confirm');
    assert.deepEqual(asked?.action === 'confirm' && asked.budget, over({ limit: 3, spent: 3, suggested: 10 }));
    assert.equal(await balance(db), coins - 3);
    db.close();
  }
});

test("the wallet's monthly budget asks at any site once it is used up", async () => {
  const { db, flow } = await setup();
  await setBudget(db, '*', { period: 'month', limit: 2 });
  assert.equal((await open(flow, 1, `${VENDOR}/a`, 2)).action, 'paying');
  const asked = await open(flow, 1, `${VENDOR}/b`, 1);
  assert.deepEqual(asked.action === 'confirm' && asked.budget, over({ scope: 'wallet', period: 'month', spent: 2 }));
  assert.equal((await flow.confirm(1, `${VENDOR}/b`, { scope: 'wallet', period: 'month', limit: 10 })).action, 'paying');
  assert.equal((await db.get('budgets', '*'))?.limit, 10);
  db.close();
});

test("a page's fetch() past the budget asks; allowing it sets the budget with the payment", async () => {
  const { db, settings } = await setup();
  const flow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES });
  await setBudget(db, VENDOR, { period: 'day', limit: 1 });
  const first = `${VENDOR}/api/quote?n=1`;
  await flow.onResponse('r1', 4, first, 402, terms(first, 1), 'GET');
  assert.equal((await flow.request(4, VENDOR, first, false)).action, 'pay');
  const url = `${VENDOR}/api/quote?n=2`;
  await flow.onResponse('r2', 4, url, 402, terms(url, 1), 'GET');
  const asked = await flow.request(4, VENDOR, url, false);
  assert.deepEqual(asked.action === 'confirm' && asked.budget, over({ limit: 1, spent: 1, suggested: 10 }));
  const v = await flow.request(4, VENDOR, url, true, { scope: 'site', period: 'day', limit: 10 });
  assert.equal(v.action, 'pay');
  assert.equal((await db.get('budgets', VENDOR))?.limit, 10);
  assert.equal(await balance(db), coins - 2);
  db.close();
});

test('the prompt offers "Allow <site> up to <amount> a <day>"; only a person\'s click allows, and pay-confirm carries it', async () => {
  const dom = installFakeDocument();
  try {
    const sent: Message[] = [];
    const transport: Transport = async (m) => {
      sent.push(m);
      return { ok: true, value: { action: 'paying', broker: false, price: 1, resent: false } };
    };
    const verdict: PageVerdict = {
      action: 'confirm',
      broker: false,
      price: 1,
      vendorId: VENDOR,
      threshold: 5,
      balance: 40,
      budget: over(),
    };
    const acting = actOn(verdict, `${VENDOR}/c`, transport);
    const root = dom.getElementById(PROMPT_ID)!.shadowRoot!;
    const allow = root.querySelector('[data-action="allow"]')!;
    assert.equal(allow.textContent, 'Allow 127.0.0.1:4001 up to 1¢ a day');
    assert.deepEqual(
      root
        .querySelectorAll('div')
        .map((d) => d.textContent)
        .filter((t) => t.startsWith('This would pass')),
      ['This would pass your budget for 127.0.0.1:4001: 0.2¢ of 0.2¢ a day spent.'],
    );
    allow.click(); // a page script's click
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(sent.length, 0, 'a script cannot allow');
    allow.userClick();
    await acting;
    assert.deepEqual(sent, [{ type: 'pay-confirm', body: { url: `${VENDOR}/c`, allow: { scope: 'site', period: 'day', limit: 10 } } }]);
  } finally {
    dom.uninstall();
  }
});

test('budget messages come only from the wallet pages, answer with the overview, and refuse bad input', async () => {
  const { db } = await setup();
  const ID = 'keidcgfameppkeebpbljidlefpmpjnmm';
  const optionsPage = { id: ID, url: `chrome-extension://${ID}/options.html`, origin: `chrome-extension://${ID}` };
  const tab = { id: ID, url: `${VENDOR}/a`, origin: VENDOR, frameId: 0, tab: { id: 3 } };
  for (const type of ['budgets-overview', 'budget-set', 'budget-remove'] as const)
    assert.throws(() => checkSender({ type, body: { site: VENDOR, period: 'day', limit: 1000 } } as Message, tab, ID), SenderError, type);
  const route = createRouter(budgetHandlers(db) as unknown as Parameters<typeof createRouter>[0], ID);
  const transport: Transport = (m) => route(m, optionsPage)!;
  const set = await send(transport, 'budget-set', { site: VENDOR, period: 'month', limit: 500 });
  assert.deepEqual(set.sites, [{ site: VENDOR, budget: { period: 'month', limit: 500 }, spent: 0, today: 0, month: 0 }]);
  await assert.rejects(
    send(transport, 'budget-set', { site: 'javascript:alert(1)', period: 'month', limit: 500 }),
    (e: unknown) => e instanceof ReplyError && e.code === 'RangeError',
  );
  await assert.rejects(send(transport, 'budget-set', { site: VENDOR, period: 'month', limit: -5 }), ReplyError);
  assert.equal((await db.get('budgets', VENDOR))?.limit, 500, 'a refused change changes nothing');
  assert.deepEqual((await send(transport, 'budget-remove', { site: VENDOR })).sites, []);
  assert.equal((await send(transport, 'budgets-overview', {})).days.length, 30);
  db.close();
});
