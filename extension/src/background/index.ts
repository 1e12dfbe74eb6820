/**
 * The background service worker: opens the wallet, builds the services and wires browser events to
 * them. Listeners are registered synchronously at the top level (MV3 wakes the worker for events
 * only if they were registered in its first turn); the services behind them are ready once the
 * database is open, and events that come earlier wait for that, in order.
 *
 * Registering early is not enough right after the browser starts: the first tab's 402 can be
 * answered before this worker has ever run, and that `onHeadersReceived` is never delivered. The
 * content script covers it: it reports the page's status and asks until the worker answers, and
 * the navigation flow fetches the terms of a 402 it did not see (`fetchProbe`). And Chromium itself
 * sometimes never starts the start-up tab's navigation when an extension is loaded: the worker
 * starts such stalled navigations again (`resumeStalledTabs`).
 * @module
 */
import browser from 'webextension-polyfill';
import type { ReceiptMessage } from '../messages.ts';
import { createRouter, originOf, type Handlers } from './router.ts';
import { ChallengeStore } from './challenges.ts';
import { FetchFlow } from './fetch-flow.ts';
import { FundsService } from './funds.ts';
import { PageReceipts } from './page-receipts.ts';
import { PaymentFlow } from './payment-flow.ts';
import { PaymentStep } from './pay-step.ts';
import { PaymentWatch } from './payment-watch.ts';
import { fetchProbe } from './probe.ts';
import { resumeStalledTabs } from './startup-tabs.ts';
import { RetryBook } from './receipts.ts';
import { chromeRetrier } from './retrier.ts';
import { DEFAULT_SCHEMES } from './schemes/registry.ts';
import { SettingsStore } from './settings.ts';
import { openWallet, readBudgetAllow, walletSummary } from '../wallet/index.ts';
import { updateBadge, walletMills } from './badge.ts';
import { chainHandlers } from './chain-handlers.ts';
import { budgetHandlers } from './budget-handlers.ts';
// Requests (issue 10): paid frames, the page API, price hints.
import { listenForRequests, requestHandlers, requestServices } from './requests.ts';
// Backup and returns (issue 10): the options page's backup dialog, the popup's returns notice.
import { backupHandlers } from './backup-handlers.ts';

const log = (message: string) => console.info(`[micromint] ${message}`);

async function start() {
  const db = await openWallet();
  // The store keeps the settings it read until storage.local changes.
  const settings = new SettingsStore(browser.storage.local, (changed) =>
    browser.storage.onChanged.addListener((_changes, area) => {
      if (area === 'local') changed();
    }),
  );
  const session = browser.storage.session;
  const receipts = new PageReceipts({
    db,
    settings,
    area: session,
    // A paid fetch(): the page that made it shows the receipt (top frame only, where the wallet runs).
    deliver: async (tabId, body) => {
      await browser.tabs.sendMessage(tabId, { type: 'receipt', body } satisfies ReceiptMessage, { frameId: 0 });
    },
    log,
  });
  // One watch for payments on requests the worker does not make: page fetch() and POSTed bodies.
  const watch = new PaymentWatch(new PaymentStep({ db, settings, schemes: DEFAULT_SCHEMES, log }), Date.now, (h) =>
    receipts.paid(h.tabId, h.paymentId, h.via),
  );
  // One retrier (it allocates DNR rule ids one at a time) for the tabs' and the frames' paid loads.
  const retrier = chromeRetrier();
  const flow = new PaymentFlow({
    db,
    settings,
    challenges: new ChallengeStore(session),
    retries: new RetryBook(session),
    retrier,
    schemes: DEFAULT_SCHEMES,
    watch,
    probe: fetchProbe(),
    receipts,
    // A 402 is acted on as its headers come in; the tab is loaded again once the 402's page is committed.
    payOnHeaders: true,
    log,
  });
  const fetchFlow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES, watch, log });
  const requests = requestServices({ db, settings, session, local: browser.storage.local, watch, receipts, retrier, fetchFlow, log });
  const { frames } = requests;
  const funds = new FundsService(db, settings);
  // The badge shows the whole wallet in mills: coins and the links left on open chains. Asked
  // again while it is being drawn, it is drawn once more after, not once per ask.
  let drawing: Promise<void> | undefined;
  let again = false;
  const drawBadge = (): Promise<void> =>
    walletMills(db)
      .then(updateBadge)
      .catch(() => undefined)
      .then(() => {
        if (!again) return (drawing = undefined);
        again = false;
        return (drawing = drawBadge());
      });
  const refreshBadge = (): Promise<void> => {
    if (drawing) again = true;
    else drawing = drawBadge();
    return drawing;
  };
  const handlers: Handlers = {
    'page-loaded': async (body, caller) => {
      const status = typeof body.status === 'number' ? body.status : undefined;
      // A paid page inside an iframe reports from its own frame (requests, issue 10).
      const verdict = caller.frameId
        ? await frames.pageLoaded(caller.tabId!, caller.frameId, body.url, status)
        : await flow.pageLoaded(caller.tabId!, body.url, status);
      if (verdict.action === 'paying' || verdict.action === 'post') void refreshBadge();
      return verdict;
    },
    'pay-confirm': async (body, caller) => {
      const allow = body.allow === undefined ? undefined : readBudgetAllow(body.allow);
      const verdict = caller.frameId
        ? await frames.confirm(caller.tabId!, caller.frameId, body.url, allow)
        : await flow.confirm(caller.tabId!, body.url, allow);
      void refreshBadge();
      return verdict;
    },
    'pay-decline': (body, caller) => flow.decline(caller.tabId!, body.url),
    'fetch-402': async (body, caller) => {
      const allow = body.allow === undefined ? undefined : readBudgetAllow(body.allow);
      const verdict = await fetchFlow.request(
        caller.tabId!,
        caller.origin,
        String(body.url),
        body.confirmed === true,
        allow,
        caller.frameId,
      );
      void refreshBadge();
      return verdict;
    },
    'funds-withdrawn': async (body, caller) => {
      const stored = await funds.importFromPage(String(body.text), caller.origin);
      void refreshBadge();
      return stored;
    },
    'send-expired': async (body, caller) => {
      const done = await funds.returnFromPage(String(body.text), caller.origin);
      void refreshBadge();
      return done;
    },
    'wallet-summary': async () => {
      const s = await settings.get();
      return { ...(await walletSummary(db)), brokerUrl: s.brokerUrl, autopayThreshold: s.autopayThreshold };
    },
    'settings-get': () => settings.get(),
    // The user id is the broker's to give: the options page cannot set it.
    'settings-set': (body) => settings.updateFromPage(body),
    ...chainHandlers(db, settings),
    // Budgets (issue 10).
    ...budgetHandlers(db),
    // Requests (issue 10): the page API's price, price hints on links.
    ...requestHandlers(requests),
    // Backup and returns (issue 10).
    ...backupHandlers({ db, settings, area: browser.storage.local, funds, refreshBadge }),
  };
  void refreshBadge();
  return { flow, fetchFlow, requests, handlers, refreshBadge };
}

type Services = Awaited<ReturnType<typeof start>>;
let starting: Promise<Services> | undefined;
/**
 * The services, started once. A start that failed (the wallet's database did not open, say, while a page of the
 * extension opened it at the same moment) is not kept: the next message or event starts them again, so one bad
 * moment does not leave the worker refusing everything until Chromium stops it.
 */
function ready(): Promise<Services> {
  const p = (starting ??= start());
  p.catch((e: unknown) => {
    console.error('[micromint] the wallet could not start', e);
    if (starting === p) starting = undefined;
  });
  return p;
}
void ready();

const after = (what: string, task: (services: Services) => Promise<unknown> | void) => {
  ready()
    .then(task)
    .catch((e: unknown) => console.error(`[micromint] ${what}:`, e));
};

// The pages' origin: chrome-extension://<id> in Chromium, moz-extension://<uuid> in Firefox (issue 10: the Firefox build).
const extensionOrigin = originOf(browser.runtime.getURL('/'))!;
browser.runtime.onMessage.addListener(createRouter(() => ready().then((s) => s.handlers), browser.runtime.id, log, extensionOrigin));

const everywhere = { urls: ['<all_urls>'] };

chrome.webRequest.onHeadersReceived.addListener(
  (d) => {
    if (d.tabId >= 0)
      after('main-frame response', async ({ flow, refreshBadge }) => {
        const outcome = await flow.onMainFrameResponse(
          d.tabId,
          d.url,
          d.statusCode,
          d.responseHeaders,
          d.timeStamp,
          d.requestId,
          d.frameId === 0,
        );
        if (outcome) void refreshBadge();
      });
    return undefined;
  },
  { ...everywhere, types: ['main_frame'] },
  ['responseHeaders'],
);

chrome.webRequest.onErrorOccurred.addListener(
  (d) => {
    if (d.tabId >= 0) after('main-frame error', ({ flow }) => flow.onMainFrameError(d.tabId, d.url, d.error, d.timeStamp, d.requestId));
    return undefined;
  },
  { ...everywhere, types: ['main_frame'] },
);

// A tab's page committed: a payment made on its 402's headers goes out (without the permission, the page's report starts it).
chrome.webNavigation?.onCommitted.addListener((d) => {
  if (d.frameId === 0 && d.tabId >= 0) after('main-frame commit', ({ flow }) => flow.onMainFrameCommitted(d.tabId, d.url, d.timeStamp));
});

chrome.webRequest.onBeforeRequest.addListener(
  (d) => {
    if (d.tabId >= 0 && d.method === 'POST' && d.requestBody)
      after('fetch body', ({ fetchFlow }) => fetchFlow.onBeforeRequest(d.requestId, d.tabId, d.method, d.url, d.requestBody ?? undefined));
    return undefined;
  },
  { ...everywhere, types: ['xmlhttprequest'] },
  ['requestBody'],
);

chrome.webRequest.onSendHeaders.addListener(
  (d) => {
    if (d.tabId >= 0) after('fetch request', ({ fetchFlow }) => fetchFlow.onSendHeaders(d.requestId, d.tabId, d.requestHeaders));
    return undefined;
  },
  { ...everywhere, types: ['xmlhttprequest'] },
  ['requestHeaders'],
);

chrome.webRequest.onHeadersReceived.addListener(
  (d) => {
    if (d.tabId >= 0)
      after('fetch response', async ({ fetchFlow, refreshBadge }) => {
        const from = { frameId: d.frameId, ...(d.initiator ? { initiator: d.initiator } : {}) };
        const outcome = await fetchFlow.onResponse(d.requestId, d.tabId, d.url, d.statusCode, d.responseHeaders, d.method, from);
        if (outcome) void refreshBadge();
      });
    return undefined;
  },
  { ...everywhere, types: ['xmlhttprequest'] },
  ['responseHeaders'],
);

chrome.webRequest.onErrorOccurred.addListener(
  (d) => {
    after('fetch error', ({ fetchFlow }) => fetchFlow.onError(d.requestId));
    return undefined;
  },
  { ...everywhere, types: ['xmlhttprequest'] },
);

browser.tabs.onRemoved.addListener((tabId) => after('tab closed', ({ flow }) => flow.tabClosed(tabId)));

// Requests (issue 10): sub-frame responses, and the sites known to sell.
listenForRequests((what, task) => after(what, (s) => task(s.requests)));

// After the listeners: a tab Chromium left blank at start-up is loaded again, and the wallet sees it.
void resumeStalledTabs(chrome.tabs, log);
