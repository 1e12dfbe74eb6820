/**
 * Why a site that takes only chains could not be paid, in words for the page's notice. The
 * codes are the choice's (`ChainBlock`), the wallet's and the broker's (`ChainOpenError`).
 * @module
 */

const WORDS: Record<string, string> = {
  'chains-disabled': 'This site takes only PayWord chains, and opening chains is turned off in the wallet’s options.',
  'not-connected': 'This site takes PayWord chains. Connect this browser’s wallet on your broker’s account page to pay it.',
  wallet_not_connected: 'The broker does not know this browser’s wallet. Connect it again on your broker’s account page.',
  'method-unknown': 'The wallet could not tell how this request was made, so it cannot bind a PayWord link to it.',
  'held-cap': 'Your open PayWord chains already hold as much as your limit allows (see the wallet’s options).',
  insufficient_funds: 'Your balance at the broker cannot hold a PayWord chain for this site. Add funds at your broker.',
  'broker-unreachable': 'The broker could not be reached to open a PayWord chain. Try again in a moment.',
  rate_limited: 'The broker is opening chains more slowly for now. Try again in a moment.',
  vendor_disabled: 'The broker has disabled this site: it authorizes no chain to it.',
  unknown_vendor: 'This site is not registered at the broker it names.',
  vendor_key_mismatch: 'This site’s PayWord key is not the one registered at the broker. Reload the page.',
  too_many_chains: 'Your account holds as many PayWord chains as the broker allows.',
  'no-chain': 'No PayWord chain of the wallet can pay this site.',
  unpayable: 'This request cannot be paid with a PayWord link (its address is too long).',
};

/**
 * A sentence saying why no chain paid, for the page's notice.
 * @example
 * chainNotice('insufficient_funds'); // 'Your balance at the broker cannot hold ...'
 */
export function chainNotice(code: string, brokerMessage?: string): string {
  return WORDS[code] ?? `No PayWord chain could be opened for this site${brokerMessage ? `: ${brokerMessage}` : ` (${code})`}.`;
}
