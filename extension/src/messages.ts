/**
 * The typed message map between the content script, the extension pages (popup, options) and the
 * background service worker. Every message is `{ type, body }`; every answer is a {@link Reply}.
 * Senders are checked by the worker: page messages only from content scripts of a top frame, broker
 * messages only from the configured broker's origin, wallet and settings messages only from the
 * extension's own pages.
 * @module
 */
import type { Settings } from './background/settings.ts';
import type { ChainListing, WalletSummary } from './wallet/summary.ts';
// Budgets (issue 10): the prompt's budget offer and the popup's and options page's budgets.
import type { BudgetAllow, BudgetOver, BudgetPeriod, BudgetsOverview } from './wallet/index.ts';
// Backup and returns (issue 10): the options page's backup dialog, the popup's returns notice.
import type { BackupMade, BackupRestored } from './background/backup-service.ts';
import type { ReturnsClaimed, ReturnsOffer } from './background/expired-returns.ts';

/**
 * A payment the vendor took, for the receipt the page shows ("Paid 2 coins (0.2¢) to shop.example").
 * `mills` is the money; `units` of `unit` is how it was paid (coins, or links of a PayWord chain).
 */
export interface PaidReceipt {
  /** The paid URL. */
  url: string;
  /** The site paid (an origin). */
  vendorId: string;
  mills: number;
  units: number;
  unit: 'coin' | 'link';
}

/** What the worker tells a page that just loaded (or whose user just decided). */
export type PageVerdict =
  /**
   * Nothing to do here. `broker` tells the content script to look for funds and returns.
   * `receipt`: this page was just paid (and the reader wants receipts shown).
   */
  | { action: 'none'; broker: boolean; receipt?: PaidReceipt }
  /** Coins are on their way: the tab is about to load the URL again with the payment. */
  | { action: 'paying'; broker: boolean; price: number; resent: boolean }
  /**
   * Coins too many for a header: the content script POSTs `body` (as `contentType`) to the page's
   * own URL, then loads the URL again (the vendor's access cookie opens it). The worker reads the
   * vendor's answer from the network, not from the page.
   */
  | { action: 'post'; broker: boolean; price: number; resent: boolean; contentType: string; body: string }
  /**
   * Above the autopay threshold (or after a refusal): ask the user. Money in mills (1 coin = 1 mill):
   * `price` is what paying costs, `balance` what the wallet holds across coins and open chains.
   * `scheme` is set (`payword`) when a PayWord chain would pay; absent for coins.
   * `budget`: the budget (the site's or the wallet's) this payment would pass; the prompt offers
   * "Allow <site> up to <budget.suggested> a <budget.period>".
   */
  | {
      action: 'confirm';
      broker: boolean;
      price: number;
      vendorId: string;
      threshold: number;
      balance: number;
      refusal?: string;
      scheme?: string;
      budget?: BudgetOver;
    }
  /**
   * The wallet cannot pay this vendor: not enough coins (`held`, `makeable`, in mills); or, with
   * `code` and `reason` (a sentence), no PayWord chain could be had for a site that takes only
   * chains (`scheme: 'payword'`; codes: `not-connected`, `chains-disabled`, `held-cap`,
   * `method-unknown`, `broker-unreachable`, and the broker's own, e.g. `insufficient_funds`,
   * `wallet_not_connected`). `buyAt` is the broker page where more coins are bought.
   */
  | {
      action: 'insufficient';
      broker: boolean;
      price: number;
      vendorId: string;
      held: number;
      makeable: number;
      buyAt?: string;
      code?: string;
      reason?: string;
      scheme?: string;
    }
  /** The wallet will not pay this challenge (wrong vendor, plain http, unknown scheme...). */
  | { action: 'refuse'; broker: boolean; message: string };

/** What a page's fetch() gets back when it asks to pay a 402 (MAIN world, via the content script). */
export type FetchVerdict =
  /**
   * Retry the request with this PAYMENT-SIGNATURE value, or, when `body` is set (a payment too
   * large for a header), send the request again as a POST of `body` with `contentType`.
   */
  | {
      action: 'pay';
      broker: boolean;
      header: string;
      paymentId: string;
      price: number;
      resent: boolean;
      body?: string;
      contentType?: string;
    }
  | Exclude<PageVerdict, { action: 'paying' | 'post' }>;

/** Result of storing a Funds-Withdrawn. */
export interface FundsStored {
  withdrawalId: string;
  coins: number;
  imported: boolean;
  balance: number;
}

/** Result of a return for credit. */
export interface ReturnDone {
  returned: number;
  credited: number;
  creditedMills: number;
  /** `not-open`: the broker takes returns of this epoch only from `returnsFrom`; the coins stay in the wallet. */
  state: 'credited' | 'pending' | 'refused' | 'not-open' | 'nothing';
  message?: string;
  /** When the broker starts taking returns of the epoch (ISO 8601), if it said. */
  returnsFrom?: string;
}

/** The `micromint-wallet` block of the broker's account page, as the content script read it. */
export interface WalletBlock {
  /** The broker's URL. */
  broker: string;
  /** The signed-in user. */
  userId: string;
  /** The wallet keys connected to that user, base64. */
  walletKeys: string[];
}

/** What the wallet recorded from a broker's account page. */
export interface WalletConnected {
  /** The broker's URL (no trailing `/`). */
  broker: string;
  userId: string;
  /** This wallet's key is among the page's `walletKeys`: chains can be opened on that account. */
  connected: boolean;
  /** This wallet's key (base64), for the form when it is not connected yet. */
  walletKey: string;
}

/** Message type -> request body and reply value. */
export interface MessageMap {
  /**
   * content -> worker: the top frame loaded `url` (the worker acts on a 402 challenge for it).
   * `status` is the HTTP status of the document (Navigation Timing): a 402 the worker did not see
   * on the network (it was not running yet) makes it fetch the terms itself.
   */
  'page-loaded': { body: { url: string; status?: number }; reply: PageVerdict };
  /** content -> worker: the user accepted the prompt (`allow`: with "allow up to", which sets that budget in the payment's transaction). */
  'pay-confirm': { body: { url: string; allow?: BudgetAllow }; reply: PageVerdict };
  /** content -> worker: the user declined the prompt. */
  'pay-decline': { body: { url: string }; reply: PageVerdict };
  /**
   * content -> worker: a page fetch() got a 402 for `url` (same origin as the page). The worker
   * acts only on a 402 it saw itself on the network; `confirmed` is the user's yes to a prompt.
   */
  'fetch-402': { body: { url: string; confirmed?: boolean; allow?: BudgetAllow }; reply: FetchVerdict };
  /** content (broker origin only) -> worker: a Funds-Withdrawn message embedded in the page. */
  'funds-withdrawn': { body: { text: string }; reply: FundsStored };
  /** content (broker origin only) -> worker: a Send-Expired message embedded in the page. */
  'send-expired': { body: { text: string }; reply: ReturnDone };
  /**
   * content (broker origin only) -> worker: this wallet's Ed25519 public key (base64 of 32 bytes),
   * made on first use, for `form.micromint-connect-wallet input[name=walletKey]`.
   */
  'wallet-key': { body: Record<string, never>; reply: { walletKey: string } };
  /**
   * content (broker origin only) -> worker: the account page's `script.micromint-wallet` JSON.
   * The wallet records, for that broker, the user and whether its own key is connected.
   */
  'wallet-connected': { body: WalletBlock; reply: WalletConnected };
  /** popup -> worker: balance (coins), chains, totals in mills, connections, epochs, sets, recent payments, history, settings. */
  'wallet-summary': { body: Record<string, never>; reply: WalletSummary & { brokerUrl: string; autopayThreshold: number } };
  /** options or popup -> worker: the wallet's chains of one site (`vendorId`, an origin) or of all, newest first, without secrets. */
  'chains-list': { body: { vendorId?: string }; reply: ChainListing[] };
  /** options -> worker. */
  'settings-get': { body: Record<string, never>; reply: Settings };
  /** options -> worker. */
  'settings-set': { body: Partial<Settings>; reply: Settings };
  // Budgets (issue 10).
  /** popup or options -> worker: every budget, this period's spending against each, spending per day. */
  'budgets-overview': { body: Record<string, never>; reply: BudgetsOverview };
  /** options -> worker: set a site's budget (`site` an origin, or `'*'` for the whole wallet, monthly). */
  'budget-set': { body: { site: string; period: BudgetPeriod; limit: number }; reply: BudgetsOverview };
  /** options -> worker: remove a site's (or the wallet's) budget. */
  'budget-remove': { body: { site: string }; reply: BudgetsOverview };
  // Requests (issue 10): the page API, price hints. (page-loaded, pay-*, fetch-402 also come from frames: FRAME_MESSAGES.)
  /**
   * content (for the page API, `micromint.price`) -> worker: the price of `url`, of the page's own
   * origin, from the 402 the worker saw on the network for the page's own request of it.
   */
  'page-price': { body: { url: string }; reply: PagePrice };
  /** content (top frame) -> worker: the URLs of the page's links (and the page's catalog link) -> hints. */
  'price-hints': { body: { urls: string[]; catalog?: string }; reply: LinkHints };
  /** content (top frame) -> worker: the reader rests on a link the worker offered to ask about. */
  'price-hover': { body: { url: string }; reply: { hint?: LinkHint } };
  // Backup and returns (issue 10).
  /** options -> worker: make the backup file (base64) of the whole wallet, moving its coins and open chains out of it. */
  'backup-export': { body: { passphrase: string }; reply: BackupMade };
  /** options -> worker: the newest backup file this wallet made, to download again (null: none). */
  'backup-last': { body: Record<string, never>; reply: BackupMade | null };
  /** options -> worker: import a backup file (base64) with its passphrase. */
  'backup-import': { body: { file: string; passphrase: string }; reply: BackupRestored };
  /** popup -> worker: coins of expired epochs that can be returned for credit, and whether returns are open. */
  'returns-offer': { body: Record<string, never>; reply: ReturnsOffer };
  /** popup -> worker: return them now (every epoch whose returns are open, or those named) to the broker's /api/credit. */
  'returns-claim': { body: { epochs?: string[] }; reply: ReturnsClaimed };
}

// Requests (issue 10).
/** What `micromint.price(url)` learns: the price in mills, or (`mills` absent) why there is none to pay. */
export type PagePrice = { url: string; mills: number } | { url: string; none: string };

/** A price hint for a link: `dear` when it is above the autopay threshold (the page marks it). */
export interface LinkHint {
  url: string;
  mills: number;
  dear: boolean;
}

/** The worker's answer about a page's links: `ask` are links whose price it may learn on hover. */
export interface LinkHints {
  enabled: boolean;
  hints: LinkHint[];
  ask: string[];
}

/**
 * worker -> content script of a frame (`tabs.sendMessage` with its `frameId`): load `url` again; a
 * rule now adds the payment to that request.
 */
export interface FrameReloadMessage {
  type: 'frame-reload';
  body: { url: string };
}

/** True for a {@link FrameReloadMessage} (the content script also checks the sender is its own extension). */
export function isFrameReloadMessage(value: unknown): value is FrameReloadMessage {
  const m = value as FrameReloadMessage | null;
  return typeof m === 'object' && m !== null && m.type === 'frame-reload' && typeof m.body?.url === 'string';
}

/** A message type. */
export type MessageType = keyof MessageMap;

/**
 * worker -> content script of a tab's top frame (`tabs.sendMessage`): a page's fetch() was just
 * paid; the page shows the receipt. (A paid navigation gets its receipt in the next page's
 * `page-loaded` verdict instead: the page that asked is gone by then.)
 */
export interface ReceiptMessage {
  type: 'receipt';
  body: PaidReceipt;
}

/** True for a well-formed {@link PaidReceipt}. */
export function isPaidReceipt(value: unknown): value is PaidReceipt {
  const r = value as PaidReceipt | null;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.url === 'string' &&
    typeof r.vendorId === 'string' &&
    count(r.mills) &&
    count(r.units) &&
    (r.unit === 'coin' || r.unit === 'link')
  );
}

/** True for a {@link ReceiptMessage} (the content script also checks the sender is its own extension). */
export function isReceiptMessage(value: unknown): value is ReceiptMessage {
  const m = value as ReceiptMessage | null;
  return typeof m === 'object' && m !== null && m.type === 'receipt' && isPaidReceipt(m.body);
}

/** A message on the wire. */
export type Message<K extends MessageType = MessageType> = { type: K; body: MessageMap[K]['body'] };

/** An answer on the wire: the value, or an error with a code the UI can word. */
export type Reply<K extends MessageType = MessageType> =
  { ok: true; value: MessageMap[K]['reply'] } | { ok: false; error: string; code?: string; field?: string };

/**
 * Message types only content scripts of the configured broker's pages may send (the worker checks
 * the sender's origin against the broker's: no other site learns the wallet key or sets the user).
 */
export const BROKER_MESSAGES: ReadonlySet<MessageType> = new Set(['funds-withdrawn', 'send-expired', 'wallet-key', 'wallet-connected']);
/** Message types only content scripts may send. */
export const CONTENT_MESSAGES: ReadonlySet<MessageType> = new Set([
  'page-loaded',
  'pay-confirm',
  'pay-decline',
  'fetch-402',
  ...BROKER_MESSAGES,
  // Requests (issue 10).
  'page-price',
  'price-hints',
  'price-hover',
]);
/**
 * Content messages a frame's content script may send too (a paid page inside an iframe, a frame's
 * own requests); the worker acts on them for that frame's own URL and origin. Every other content
 * message comes only from a tab's top frame.
 */
export const FRAME_MESSAGES: ReadonlySet<MessageType> = new Set(['page-loaded', 'pay-confirm', 'pay-decline', 'fetch-402', 'page-price']);
/** Message types only the extension's own pages may send. */
export const PAGE_MESSAGES: ReadonlySet<MessageType> = new Set([
  'wallet-summary',
  'settings-get',
  'settings-set',
  'chains-list',
  // Budgets (issue 10).
  'budgets-overview',
  'budget-set',
  'budget-remove',
  // Backup and returns (issue 10).
  'backup-export',
  'backup-last',
  'backup-import',
  'returns-offer',
  'returns-claim',
]);

/** True for a value shaped like a {@link Message} of a known type. */
export function isMessage(value: unknown): value is Message {
  const m = value as Message | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.type === 'string' &&
    (CONTENT_MESSAGES.has(m.type) || PAGE_MESSAGES.has(m.type)) &&
    typeof m.body === 'object' &&
    m.body !== null &&
    !Array.isArray(m.body)
  );
}

/** The thrown form of a failed {@link Reply}. */
export class ReplyError extends Error {
  override name = 'ReplyError';
  constructor(
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A function that delivers a message and resolves with the raw reply (e.g. `browser.runtime.sendMessage`). */
export type Transport = (message: Message) => Promise<unknown>;

/**
 * Sends a typed message and unwraps the reply, throwing {@link ReplyError} on `{ ok: false }`.
 * @example
 * const verdict = await send(browser.runtime.sendMessage, 'page-loaded', { url: location.href });
 */
export async function send<K extends MessageType>(
  transport: Transport,
  type: K,
  body: MessageMap[K]['body'],
): Promise<MessageMap[K]['reply']> {
  return unwrap<K>(await transport({ type, body } as Message));
}

/** The value of a raw reply; throws {@link ReplyError} for `{ ok: false }` or no reply at all. */
function unwrap<K extends MessageType>(raw: unknown): MessageMap[K]['reply'] {
  const reply = raw as Reply<K> | undefined;
  if (!reply || typeof reply !== 'object') throw new ReplyError('the wallet did not answer');
  if (!reply.ok) throw new ReplyError(reply.error, reply.code, reply.field);
  return reply.value;
}

/** Waits between attempts of {@link sendUntilAnswered}: quick at first, then every 2 s, about a minute in all. */
export const ANSWER_RETRY_DELAYS_MS: readonly number[] = [50, 100, 200, 400, 800, 1600, ...Array<number>(28).fill(2000)];

/**
 * {@link send}, asked again until the worker answers. Right after the browser starts (or the
 * extension is installed) a content script can run before the worker exists: `sendMessage` then
 * rejects ("Receiving end does not exist") or resolves with nothing. Those are retried after each
 * of `delays`; an answer, even `{ ok: false }`, ends the retries (a ReplyError is thrown for it).
 * Asking twice is safe: every content message is idempotent in the worker.
 * @example
 * const verdict = await sendUntilAnswered(transport, 'page-loaded', { url: location.href, status: 402 });
 */
export async function sendUntilAnswered<K extends MessageType>(
  transport: Transport,
  type: K,
  body: MessageMap[K]['body'],
  delays: readonly number[] = ANSWER_RETRY_DELAYS_MS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<MessageMap[K]['reply']> {
  for (let attempt = 0; ; attempt++) {
    let reply: unknown;
    let failure: unknown;
    try {
      reply = await transport({ type, body } as Message);
    } catch (e) {
      failure = e;
    }
    if (reply && typeof reply === 'object') return unwrap<K>(reply);
    const delay = delays[attempt];
    if (delay === undefined) throw failure instanceof Error ? failure : new ReplyError('the wallet did not answer');
    await sleep(delay);
  }
}
