/**
 * Receipts on the page: a payment the vendor took gives the page a small sign of it ("Paid 2 coins
 * (0.2¢) to shop.example"), unless the reader turned receipts off (`showReceipts`).
 *
 * A paid navigation is answered by the paid page itself: the page that asked is gone when the answer
 * arrives, so the receipt is kept for the tab (in `storage.session`) and handed to the next page
 * that reports in ({@link PageReceipts.take}), once, if it is of the site paid and comes soon. A
 * paid page `fetch()` or frame leaves its page in place: the receipt is sent to that tab's top frame
 * at once. The top page's content script may not be there yet (it runs at `document_idle`, and a
 * paid frame can be paid and loaded again before its top page is idle): a receipt that found no one
 * to take it is kept for the tab, and the top page takes it when it reports in, whatever its
 * site, if it comes within {@link UNDELIVERED_TTL_MS}.
 * @module
 */
import type { PaidReceipt } from '../messages.ts';
import type { PaymentRecord, WalletDb } from '../wallet/index.ts';
import type { SettingsStore } from './settings.ts';
import type { KeyValueArea } from './storage-area.ts';

/** How long a kept receipt waits for the paid page to report in. */
export const RECEIPT_TTL_MS = 60_000;

/** How long a receipt that found no top page waits for the page to report in. */
export const UNDELIVERED_TTL_MS = 15_000;

/** How a payment reached the vendor: on the tab's navigation (or its POST), or on a page's fetch(). */
export type PaidVia = 'navigation' | 'fetch';

/** Shows a receipt in a tab now (`tabs.sendMessage` in the worker). */
export type DeliverReceipt = (tabId: number, receipt: PaidReceipt) => Promise<void>;

/** What the receipts need. */
export interface PageReceiptsDeps {
  db: WalletDb;
  settings: SettingsStore;
  /** Where receipts wait for their page (`storage.session`). */
  area: KeyValueArea;
  /** Delivers a fetch() payment's receipt; without it such receipts are not shown. */
  deliver?: DeliverReceipt;
  now?: () => number;
  log?: (message: string) => void;
}

/**
 * The receipt of a payment: its money, and the coins or links it took.
 * @example
 * receiptOf(payment); // { url, vendorId: 'https://shop.example', mills: 2, units: 2, unit: 'coin' }
 */
export function receiptOf(p: Pick<PaymentRecord, 'url' | 'vendorId' | 'price' | 'coinIds' | 'link'>): PaidReceipt {
  return p.link
    ? { url: p.url, vendorId: p.vendorId, mills: p.price, units: p.link.units, unit: 'link' }
    : { url: p.url, vendorId: p.vendorId, mills: p.price, units: p.coinIds.length, unit: 'coin' };
}

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

interface Kept {
  receipt: PaidReceipt;
  at: number;
  /** Sent to the tab's page and not taken: for the tab's top page, of whatever site. */
  undelivered?: true;
}

/** The receipts of one worker. Never throws: a receipt is a courtesy, the payment is settled already. */
export class PageReceipts {
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  /** Undelivered receipts, also in memory: the page may report in before the area has them. */
  private readonly undelivered = new Map<number, Kept>();

  constructor(private readonly deps: PageReceiptsDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  private static key = (tabId: number) => `receipt:${tabId}`;

  /**
   * Payment `paymentId` of tab `tabId` was settled as paid: keep its receipt for the tab's next page
   * (`navigation`), or show it in the tab now (`fetch`).
   * @example
   * await receipts.paid(tabId, retry.paymentId, 'navigation');
   */
  async paid(tabId: number, paymentId: string, via: PaidVia): Promise<void> {
    try {
      if (!(await this.deps.settings.get()).showReceipts) return;
      const payment = await this.deps.db.get('payments', paymentId);
      if (payment?.state !== 'paid') return;
      const receipt = receiptOf(payment);
      if (via === 'fetch') await this.deliver(tabId, receipt);
      else await this.deps.area.set({ [PageReceipts.key(tabId)]: { receipt, at: this.now() } satisfies Kept });
    } catch (e) {
      this.log(`no receipt for payment ${paymentId}: ${(e as Error).message}`);
    }
  }

  /** Shows the receipt in the tab now; if no page took it, keeps it for the tab's top page. */
  private async deliver(tabId: number, receipt: PaidReceipt): Promise<void> {
    if (!this.deps.deliver) return;
    try {
      await this.deps.deliver(tabId, receipt);
    } catch (e) {
      const kept: Kept = { receipt, at: this.now(), undelivered: true };
      this.undelivered.set(tabId, kept);
      await this.deps.area.set({ [PageReceipts.key(tabId)]: kept });
      this.log(`the receipt for ${receipt.url} waits for tab ${tabId}'s page: ${(e as Error).message}`);
    }
  }

  /**
   * The receipt for the page `url` that just loaded in tab `tabId`: the one kept for the tab, if it
   * is for the same site (or found no page, see the module), recent, and receipts are still on.
   * Taken once.
   */
  async take(tabId: number, url: string): Promise<PaidReceipt | undefined> {
    const key = PageReceipts.key(tabId);
    try {
      const kept = this.undelivered.get(tabId) ?? ((await this.deps.area.get(key))[key] as Kept | undefined);
      if (!kept) return undefined;
      this.undelivered.delete(tabId);
      await this.deps.area.remove(key);
      const fits = kept.undelivered
        ? this.now() - kept.at <= UNDELIVERED_TTL_MS
        : this.now() - kept.at <= RECEIPT_TTL_MS && originOf(url) === kept.receipt.vendorId;
      if (!fits) return undefined;
      return (await this.deps.settings.get()).showReceipts ? kept.receipt : undefined;
    } catch (e) {
      this.log(`the receipt of tab ${tabId} could not be read: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The tab is gone: its receipt too. */
  async clear(tabId: number): Promise<void> {
    this.undelivered.delete(tabId);
    await this.deps.area.remove(PageReceipts.key(tabId)).catch(() => undefined);
  }
}
