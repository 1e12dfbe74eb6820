/**
 * Every kind of paid request (issue 10), wired in one place so the worker's entry needs a few
 * lines: the services for paid frames, the page API's price and the price hints on links; their
 * message handlers; and the browser events they listen to (sub-frame responses, and every 402 for
 * the sites known to sell).
 *
 *     const requests = requestServices({ db, settings, session, local, watch, receipts, fetchFlow, log });
 *     const handlers: Handlers = { ..., ...requestHandlers(requests) };
 *     listenForRequests((what, task) => after(what, (s) => task(s.requests)));
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import browser from 'webextension-polyfill';
import type { FrameReloadMessage } from '../messages.ts';
import type { WalletDb } from '../wallet/index.ts';
import { CatalogCache } from './catalogs.ts';
import type { FetchFlow } from './fetch-flow.ts';
import { FrameFlow } from './frame-flow.ts';
import { FrameRecords } from './frame-records.ts';
import { HoverPrices } from './hover-price.ts';
import { KnownVendors } from './known-vendors.ts';
import type { PageReceipts } from './page-receipts.ts';
import type { PaymentWatch } from './payment-watch.ts';
import { PriceHints } from './price-hints.ts';
import { fetchProbe } from './probe.ts';
import { headerValue } from './receipts.ts';
import type { Retrier } from './retrier.ts';
import type { Handlers } from './router.ts';
import { DEFAULT_SCHEMES } from './schemes/registry.ts';
import type { SettingsStore } from './settings.ts';
import type { KeyValueArea } from './storage-area.ts';

/** The services of this file. */
export interface RequestServices {
  frames: FrameFlow;
  hints: PriceHints;
  vendors: KnownVendors;
  fetchFlow: FetchFlow;
}

/** What the services are built from (the worker's own). */
export interface RequestServicesBase {
  db: WalletDb;
  settings: SettingsStore;
  /** `storage.session`: frames' records and kept catalogs. */
  session: KeyValueArea;
  /** `storage.local`: the sites known to sell. */
  local: KeyValueArea;
  watch: PaymentWatch;
  receipts: PageReceipts;
  retrier: Retrier;
  fetchFlow: FetchFlow;
  log: (message: string) => void;
}

/** Tells a frame's content script to load its URL again (the DNR rule adds the payment). */
const reloadFrame = async (tabId: number, frameId: number, url: string): Promise<void> => {
  await browser.tabs.sendMessage(tabId, { type: 'frame-reload', body: { url } } satisfies FrameReloadMessage, { frameId });
};

/**
 * Builds the services.
 * @example
 * const requests = requestServices({ db, settings, session, local, watch, receipts, retrier, fetchFlow, log });
 */
export function requestServices(b: RequestServicesBase): RequestServices {
  const vendors = new KnownVendors(b.local, DEFAULT_SCHEMES);
  const frames = new FrameFlow({
    db: b.db,
    settings: b.settings,
    schemes: DEFAULT_SCHEMES,
    records: new FrameRecords(b.session),
    retrier: b.retrier,
    reload: reloadFrame,
    watch: b.watch,
    probe: fetchProbe(),
    receipts: b.receipts,
    log: b.log,
  });
  const hints = new PriceHints({
    settings: b.settings,
    catalogs: new CatalogCache((url, init) => fetch(url, init), b.session, Date.now, b.log),
    hover: new HoverPrices(fetchProbe(undefined, 10_000, { method: 'HEAD', credentials: 'omit' }), DEFAULT_SCHEMES),
    vendors,
  });
  return { frames, hints, vendors, fetchFlow: b.fetchFlow };
}

/** The messages of the page API and the price hints. */
export type RequestMessageType = 'page-price' | 'price-hints' | 'price-hover';

/**
 * Their handlers.
 * @example
 * const handlers: Handlers = { ...coreHandlers, ...requestHandlers(requests) };
 */
export function requestHandlers(s: RequestServices): Pick<Handlers, RequestMessageType> {
  return {
    'page-price': (body, caller) => s.fetchFlow.quote(caller.tabId!, caller.frameId ?? 0, caller.origin, String(body.url)),
    'price-hints': (body, caller) =>
      s.hints.forLinks(caller.tabId!, caller.url, {
        urls: Array.isArray(body.urls) ? body.urls : [],
        ...(body.catalog !== undefined ? { catalog: body.catalog } : {}),
      }),
    'price-hover': (body, caller) => s.hints.onHover(caller.tabId!, body.url),
  };
}

/** Runs a task once the worker's services are ready (the entry's `after`). */
export type AfterReady = (what: string, task: (s: RequestServices) => Promise<unknown> | void) => void;

/**
 * Registers the browser events of this file. Call it synchronously at the worker's top level (MV3
 * wakes the worker only for listeners registered in its first turn).
 * @example
 * listenForRequests((what, task) => after(what, (s) => task(s.requests)));
 */
export function listenForRequests(after: AfterReady): void {
  const everywhere = { urls: ['<all_urls>'] };
  chrome.webRequest.onHeadersReceived.addListener(
    (d) => {
      if (d.tabId >= 0 && d.frameId > 0)
        after('frame response', ({ frames }) => frames.onSubFrameResponse(d.tabId, d.frameId, d.url, d.statusCode, d.responseHeaders));
      return undefined;
    },
    { ...everywhere, types: ['sub_frame'] },
    ['responseHeaders'],
  );
  chrome.webRequest.onErrorOccurred.addListener(
    (d) => {
      if (d.tabId >= 0 && d.frameId > 0) after('frame error', ({ frames }) => frames.onSubFrameError(d.tabId, d.frameId, d.url, d.error));
      return undefined;
    },
    { ...everywhere, types: ['sub_frame'] },
  );
  // Every payable 402, of a page, a frame or a page's request: its site is known to sell (price hints).
  chrome.webRequest.onHeadersReceived.addListener(
    (d) => {
      const header = d.statusCode === 402 ? headerValue(d.responseHeaders, PAYMENT_REQUIRED_HEADER) : undefined;
      if (header) after('known vendor', ({ vendors }) => vendors.noteChallenge(d.url, header));
      return undefined;
    },
    { ...everywhere, types: ['main_frame', 'sub_frame', 'xmlhttprequest'] },
    ['responseHeaders'],
  );
  browser.tabs.onRemoved.addListener((tabId) =>
    after('tab closed (frames)', async ({ frames, hints }) => {
      hints.tabClosed(tabId);
      await frames.tabClosed(tabId);
    }),
  );
}
