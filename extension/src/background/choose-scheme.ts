/**
 * Which scheme pays a site, when its challenge offers coins, chains or both (docs/protocol.md
 * 12.7): the wallets' one rule, `chooseScheme` of `@micromint/shared` (its module comment has the
 * rules), read with the reader's settings. The facts come from the wallet.
 * @module
 */
import { chooseScheme as chooseBy, type ChainFacts, type Choice, type CoinFacts } from '@micromint/shared';
import type { Settings } from './settings.ts';

export type { ChainBlock, ChainFacts, Choice, CoinFacts } from '@micromint/shared';

/** What the choice weighs. */
export interface ChoiceInput {
  /** Set when the site offers coins the wallet can read. */
  coins?: CoinFacts;
  /** Set when the site offers chains the wallet can read. */
  chain?: ChainFacts;
  /** Paid pages at this site within the last day, before this one. */
  paidPages: number;
  settings: Pick<Settings, 'chainsEnabled' | 'openChainAfterPages' | 'chainLinks' | 'maxHeldMills'>;
}

/**
 * The scheme for one payment, by the shared rule with the reader's settings.
 * @example
 * chooseScheme({ coins: { mills: 1, makeable: 50 }, chain: { ...facts, connected: true }, paidPages: 1, settings }); // open a chain: the second page
 */
export function chooseScheme(input: ChoiceInput): Choice {
  const { chainsEnabled, openChainAfterPages, chainLinks, maxHeldMills } = input.settings;
  return chooseBy({
    coins: input.coins,
    chain: input.chain,
    paidBefore: input.paidPages,
    policy: { chainsEnabled, openChainAfter: openChainAfterPages, chainLinks, maxHeldMills },
  });
}
