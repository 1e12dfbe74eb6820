/**
 * Price hints on the page's links (top frame): the content script sends the URLs the links point
 * to (and the page's `<link rel="micromint-catalog">`, if any) to the worker, which answers from
 * the sites' catalogs; links with a known price get `data-micromint-price`, dear ones a price chip
 * (price-chip.ts). Links whose price the catalog cannot tell are asked about one at a time, only
 * when the reader rests the pointer on one (or focuses it) for a moment: never all at once.
 * Links the page adds later are looked at in batches, bounded per document.
 * @module
 */
import { send, type LinkHint, type Transport } from '../messages.ts';
import { markLink } from './price-chip.ts';

/** Most links looked at in one document. */
export const MAX_LINKS = 3000;
/** How long the reader rests on a link before the wallet asks its price. */
export const HOVER_DELAY_MS = 350;
/** Wait after the page changes before looking at new links. */
const BATCH_DELAY_MS = 800;
/** Most URLs in one request to the worker. */
const BATCH_URLS = 1000;

/**
 * The URL a link points to, without fragment, for http and https links to another document.
 * @example
 * linkUrl(anchor, 'http://127.0.0.1:4001/'); // 'http://127.0.0.1:4001/articles/a.html'
 */
export function linkUrl(link: HTMLAnchorElement, here: string): string | undefined {
  let u: URL;
  try {
    u = new URL(link.href);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  u.hash = '';
  return u.href === here ? undefined : u.href;
}

/** The page's `<link rel="micromint-catalog">`: where its site's price catalog is. */
const CATALOG_LINK = 'link[rel~="micromint-catalog"][href]';
/** Set on that element once the page's links were looked at: `on`, or `off` when the reader turned hints off. */
export const HINTS_STATE_ATTRIBUTE = 'data-micromint-hints';

/** The page's own catalog link, when it declares one of its own origin. */
function declaredCatalog(doc: Document): string | undefined {
  const link = doc.querySelector<HTMLLinkElement>(CATALOG_LINK);
  if (!link) return undefined;
  try {
    const u = new URL(link.href);
    return u.origin === doc.defaultView?.location.origin ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The hints of one document. */
class LinkHints {
  private readonly seen = new WeakSet<HTMLAnchorElement>();
  private readonly links = new Map<string, Set<HTMLAnchorElement>>();
  private readonly askable = new Set<string>();
  private readonly asked = new Set<string>();
  private count = 0;
  /** The reader turned hints off (the worker said so): nothing more is asked. */
  off = false;

  constructor(
    private readonly doc: Document,
    private readonly transport: Transport,
  ) {}

  /** Looks at links not seen yet; resolves once the worker answered. */
  async scan(): Promise<void> {
    if (this.off) return;
    const here = this.doc.location.href.split('#', 1)[0]!;
    const fresh: string[] = [];
    for (const link of this.doc.querySelectorAll<HTMLAnchorElement>('a[href]')) {
      if (this.seen.has(link) || this.count >= MAX_LINKS) continue;
      this.seen.add(link);
      this.count++;
      const url = linkUrl(link, here);
      if (!url) continue;
      if (!this.links.has(url)) {
        this.links.set(url, new Set());
        fresh.push(url);
      }
      this.links.get(url)!.add(link);
      if (this.askable.has(url)) this.listen(link, url);
    }
    for (let i = 0; i < fresh.length; i += BATCH_URLS) await this.ask(fresh.slice(i, i + BATCH_URLS));
  }

  private async ask(urls: string[]): Promise<void> {
    const catalog = declaredCatalog(this.doc);
    const answer = await send(this.transport, 'price-hints', { urls, ...(catalog ? { catalog } : {}) });
    if (!answer.enabled) {
      this.off = true;
      return;
    }
    for (const hint of answer.hints) this.apply(hint);
    for (const url of answer.ask) {
      this.askable.add(url);
      for (const link of this.links.get(url) ?? []) this.listen(link, url);
    }
  }

  private apply(hint: LinkHint): void {
    for (const link of this.links.get(hint.url) ?? []) markLink(link, hint, this.doc);
  }

  /** Asks the price of `url` when the reader rests on `link` (a person's pointer or focus, not a script's event). */
  private listen(link: HTMLAnchorElement, url: string): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const start = (e: Event) => {
      if (!e.isTrusted || this.asked.has(url) || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (this.asked.has(url)) return;
        this.asked.add(url);
        send(this.transport, 'price-hover', { url })
          .then((r) => r.hint && this.apply(r.hint))
          .catch(() => this.asked.delete(url));
      }, HOVER_DELAY_MS);
    };
    const stop = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    link.addEventListener('pointerenter', start);
    link.addEventListener('focus', start);
    link.addEventListener('pointerleave', stop);
    link.addEventListener('blur', stop);
  }
}

/**
 * Shows price hints on `doc`'s links, now and for links added later.
 * @example
 * void showPriceHints(document, transport);
 */
export async function showPriceHints(doc: Document, transport: Transport): Promise<void> {
  const hints = new LinkHints(doc, transport);
  await hints.scan();
  doc.querySelector(CATALOG_LINK)?.setAttribute(HINTS_STATE_ATTRIBUTE, hints.off ? 'off' : 'on');
  if (hints.off) return;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const observer = new MutationObserver(() => {
    pending ??= setTimeout(() => {
      pending = undefined;
      hints.scan().then(
        () => hints.off && observer.disconnect(),
        () => undefined,
      );
    }, BATCH_DELAY_MS);
  });
  observer.observe(doc.documentElement, { childList: true, subtree: true });
}
