/**
 * Wraps the page's `XMLHttpRequest` so a 402 with a PAYMENT-REQUIRED header is paid the way the
 * fetch wrapper pays one: the page's request object gets the paid response, transparently.
 *
 * How: `window.XMLHttpRequest` becomes a subclass whose constructor registers the wallet's own
 * listeners first (capturing, so they run before any listener or `on…` handler of the page). It
 * keeps what the page opened, set and sent. When an asynchronous request's headers arrive with a
 * 402 and a challenge, the wallet's listener stops that event and every later one of the 402 from
 * reaching the page, and asks the wallet. To pay, it opens the same object again with the same
 * method, URL and headers plus PAYMENT-SIGNATURE (or POSTs the payment body, for a GET or HEAD),
 * and sends it; the page then sees the paid response's events (its `loadstart` and the `OPENED`
 * state change only once). Not paying, it lets the 402's events through (replaying those it held).
 *
 * Synchronous requests (`open(method, url, false)`) are never paid: waiting for the wallet would
 * freeze the page, and the reader's prompt with it.
 * @module
 */
import { isWebUrl } from './fetch-wrapper.ts';
import { paidReceipt, type WalletChannel } from './wallet-channel.ts';

const CHALLENGE_HEADER = 'PAYMENT-REQUIRED';
const PAYMENT_HEADER = 'PAYMENT-SIGNATURE';
const RECEIPT_HEADER = 'PAYMENT-RESPONSE';
/** The events of a request the wallet may hold back from the page. */
const EVENTS = ['loadstart', 'readystatechange', 'progress', 'load', 'error', 'abort', 'timeout', 'loadend'] as const;

/**
 * Where a request stands for the wallet: `plain` (not a paid 402 so far), `held` (a 402's events
 * are kept from the page while the wallet decides), `paying` (the paid request is going out: its
 * `loadstart` and `OPENED` change are not shown again), `paid` (its events are the page's).
 */
type Phase = 'plain' | 'held' | 'paying' | 'paid';

interface Kept {
  method: string;
  url: string;
  async: boolean;
  user?: string | null;
  password?: string | null;
  headers: [string, string][];
  body?: Document | XMLHttpRequestBodyInit | null;
  phase: Phase;
  /** Events held back from the page while `held`, replayed if the wallet does not pay. */
  heldEvents: string[];
  /** Set while the wallet dispatches an event itself (a replay). */
  replaying: boolean;
  mills: number;
  payUrl?: string;
}

/**
 * Replaces `window.XMLHttpRequest` with the paying subclass.
 * @example
 * wrapXhr(channel);
 */
export function wrapXhr(channel: WalletChannel): void {
  const Real = window.XMLHttpRequest;
  const real = Real.prototype;
  const kept = new WeakMap<XMLHttpRequest, Kept>();

  /** The wallet's first look at every event of a request. */
  function gate(xhr: XMLHttpRequest, k: Kept, event: Event): void {
    if (k.replaying) return;
    if (k.phase === 'plain') {
      if (event.type !== 'readystatechange' || xhr.readyState !== Real.HEADERS_RECEIVED || !k.async) return;
      if (xhr.status !== 402 || xhr.getResponseHeader(CHALLENGE_HEADER) === null) return;
      const url = xhr.responseURL || new URL(k.url, document.baseURI).href;
      if (!isWebUrl(url)) return;
      k.phase = 'held';
      k.heldEvents = [];
      k.payUrl = url;
      event.stopImmediatePropagation();
      void decide(xhr, k, url);
      return;
    }
    if (k.phase === 'held') {
      if (k.heldEvents.at(-1) !== event.type || event.type !== 'readystatechange') k.heldEvents.push(event.type);
      event.stopImmediatePropagation();
      return;
    }
    if (k.phase === 'paying') {
      if (event.type === 'loadstart' || (event.type === 'readystatechange' && xhr.readyState === Real.OPENED)) {
        event.stopImmediatePropagation();
        return;
      }
      k.phase = 'paid';
    }
    if (k.phase === 'paid' && event.type === 'load' && paidReceipt(xhr.getResponseHeader(RECEIPT_HEADER)))
      channel.paid({ url: k.payUrl!, mills: k.mills, via: 'xhr' });
  }

  /** Lets the 402 through: the events it held, then whatever is still to come. */
  function release(xhr: XMLHttpRequest, k: Kept): void {
    k.phase = 'plain';
    const events = k.heldEvents.length ? k.heldEvents : ['readystatechange'];
    k.heldEvents = [];
    k.replaying = true;
    try {
      for (const type of events) xhr.dispatchEvent(type === 'readystatechange' ? new Event(type) : new ProgressEvent(type));
    } finally {
      k.replaying = false;
    }
  }

  async function decide(xhr: XMLHttpRequest, k: Kept, url: string): Promise<void> {
    const pay = await channel.pay(url);
    if (k.phase !== 'held') return; // the page opened it again, or aborted it, meanwhile
    const method = k.method.toUpperCase();
    if (!pay || (pay.body !== undefined && method !== 'GET' && method !== 'HEAD')) return release(xhr, k);
    k.phase = 'paying';
    k.mills = pay.price;
    try {
      real.open.call(xhr, pay.body !== undefined ? 'POST' : k.method, url, true, k.user, k.password);
      const headers = pay.body !== undefined ? k.headers.filter(([n]) => n.toLowerCase() !== 'content-type') : k.headers;
      for (const [name, value] of headers) real.setRequestHeader.call(xhr, name, value);
      if (pay.body !== undefined) real.setRequestHeader.call(xhr, 'Content-Type', pay.contentType ?? 'application/x-micromint');
      else real.setRequestHeader.call(xhr, PAYMENT_HEADER, pay.header);
      real.send.call(xhr, pay.body ?? k.body ?? null);
    } catch {
      // The request cannot be sent again (the page changed something on it): it stays unpaid, and the
      // payment stays pending in the wallet, sent again with the next 402 of the URL.
      k.phase = 'paid';
      k.heldEvents = [];
    }
  }

  class MicromintXMLHttpRequest extends Real {
    constructor() {
      super();
      const k: Kept = { method: 'GET', url: '', async: true, headers: [], phase: 'plain', heldEvents: [], replaying: false, mills: 0 };
      kept.set(this, k);
      for (const type of EVENTS) super.addEventListener(type, (e) => gate(this, k, e), { capture: true });
    }

    override open(method: string, url: string | URL, async?: boolean, user?: string | null, password?: string | null): void {
      const k = kept.get(this)!;
      // Two arguments: asynchronous; three or more: `async` as given (undefined means false, as the platform reads it).
      const given = arguments.length >= 3;
      k.method = method;
      k.url = String(url);
      k.async = !given || !!async;
      k.user = user;
      k.password = password;
      k.headers = [];
      k.phase = 'plain';
      k.heldEvents = [];
      if (given) real.open.call(this, method, url, !!async, user, password);
      else real.open.call(this, method, url, true);
    }

    override setRequestHeader(name: string, value: string): void {
      real.setRequestHeader.call(this, name, value);
      kept.get(this)!.headers.push([name, value]);
    }

    override send(body?: Document | XMLHttpRequestBodyInit | null): void {
      kept.get(this)!.body = body;
      real.send.call(this, body);
    }

    override abort(): void {
      const k = kept.get(this)!;
      const held = k.phase === 'held';
      k.phase = 'plain';
      k.heldEvents = [];
      real.abort.call(this);
      // A 402 already complete aborts silently; the page asked, so it hears of it.
      if (held) for (const type of ['abort', 'loadend']) this.dispatchEvent(new ProgressEvent(type));
    }
  }
  Object.defineProperty(MicromintXMLHttpRequest, 'name', { value: 'XMLHttpRequest' });
  window.XMLHttpRequest = MicromintXMLHttpRequest;
}
