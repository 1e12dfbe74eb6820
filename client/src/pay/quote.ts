/**
 * What a URL costs, paying nothing (`micromint-wallet get --dry-run`, the MCP tool's `dryRun`):
 * from the vendor's price catalog when it gives a price, else from the 402 of an unpaid GET (the
 * authoritative terms), with the scheme the wallet would pay with and whether the caps allow it.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import { CapExceededError, InsufficientFundsError, WalletError } from '../errors.ts';
import { makeableCoins } from '../wallet/spend.ts';
import { checkCaps, type Caps } from '../wallet/caps.ts';
import type { Wallet } from '../wallet/wallet.ts';
import { catalogPrice, fetchCatalog, schemeCosts, type CatalogPrice } from './catalog.ts';
import { readChallenge } from './challenge.ts';
import { choose } from './payer.ts';
import { stripFragment, type Fetch } from './wrap-fetch.ts';

/** What a URL would cost. Money is in mills. */
export interface PriceQuote {
  url: string;
  /** `catalog`: the vendor's catalog priced it; `402`: an unpaid GET asked for payment; `free`: the GET was served without payment. */
  source: 'catalog' | '402' | 'free';
  /** The cost in each scheme the site offers, in its order. */
  options: { scheme: string; mills: number }[];
  /** The scheme the wallet would pay with now (from a 402 only: it needs the live terms). */
  scheme?: string;
  /** What the wallet would pay: the chosen scheme's cost, else the cheapest. */
  mills: number;
  /** The caps allow it; else `error` says which does not. */
  withinCaps: boolean;
  /** Why the wallet would not pay (a cap, no funds, an offer it cannot pay). */
  error?: WalletError;
  /** The catalog's word, when the site has one. */
  catalog?: CatalogPrice;
  /** The HTTP status of the unpaid GET, when one was made. */
  status?: number;
}

/** The caps' verdict on paying `mills` to `url`'s host now. */
function capsVerdict(wallet: Wallet, caps: Caps, url: URL, mills: number, now: number): { withinCaps: boolean; error?: WalletError } {
  try {
    checkCaps(wallet.db, caps, { host: url.host, mills, now });
    return { withinCaps: true };
  } catch (e) {
    if (e instanceof CapExceededError) return { withinCaps: false, error: e };
    throw e;
  }
}

/**
 * Quotes `url` without paying. With `probe`, the unpaid GET is made even when the catalog priced it.
 * @example
 * const q = await quote(fetch, wallet, 'http://127.0.0.1:4001/api/quote');
 * console.log(`${formatMoney(q.mills)} by ${q.scheme ?? q.options[0]?.scheme}`);
 */
export async function quote(
  fetchFn: Fetch,
  wallet: Wallet,
  target: string,
  o: { caps?: Caps; now?: number; probe?: boolean } = {},
): Promise<PriceQuote> {
  const url = new URL(stripFragment(target));
  const caps = o.caps ?? wallet.caps;
  const now = o.now ?? Date.now();
  const catalog = await fetchCatalog(fetchFn, url.origin);
  const said = catalog ? catalogPrice(catalog, url) : undefined;
  if (catalog && said?.kind === 'priced' && !o.probe) {
    const options = schemeCosts(catalog, said.priceMills);
    const mills = Math.min(...options.map((x) => x.mills), said.priceMills);
    return { url: url.href, source: 'catalog', options, mills, catalog: said, ...capsVerdict(wallet, caps, url, mills, now) };
  }
  const res = await fetchFn(url.href, { headers: { accept: 'application/json' } });
  await res.body?.cancel().catch(() => undefined);
  const base = { url: url.href, status: res.status, ...(said ? { catalog: said } : {}) };
  if (res.status !== 402) return { ...base, source: 'free', options: [], mills: 0, withinCaps: true };
  try {
    const challenge = readChallenge(res.headers.get(PAYMENT_REQUIRED_HEADER), url);
    const options = challenge.offers.map((x) => ({ scheme: x.scheme, mills: x.mills }));
    const { choice, coins, chain } = choose(wallet, challenge, now);
    const picked = choice.scheme === 'micromint' ? coins : choice.scheme === 'payword' ? chain : undefined;
    const mills = picked?.mills ?? Math.min(...options.map((x) => x.mills));
    const verdict = capsVerdict(wallet, caps, url, mills, now);
    const short =
      picked === coins &&
      coins &&
      makeableCoins(wallet.db, { epoch: coins.epoch!, broker: coins.broker, vendorId: coins.vendorId, now }, coins.price) < coins.price;
    const error =
      verdict.error ??
      (choice.scheme === 'none'
        ? new WalletError('insufficient-funds', `no coins for this site and no chain can be opened (${choice.reason})`)
        : undefined) ??
      (short ? new InsufficientFundsError(coins.mills, 0, `not enough coins of epoch ${coins.epoch} for this site`) : undefined);
    return {
      ...base,
      source: '402',
      options,
      ...(picked ? { scheme: picked.scheme } : {}),
      mills,
      withinCaps: verdict.withinCaps,
      ...(error ? { error } : {}),
    };
  } catch (e) {
    if (!(e instanceof WalletError)) throw e;
    return { ...base, source: '402', options: [], mills: 0, withinCaps: false, error: e };
  }
}
