/**
 * The toolbar badge: the balance in mills (coins and links left on open chains) at a glance, and
 * the same balance as money in the icon's tooltip.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { balance, listChains, type WalletDb } from '../wallet/index.ts';

/**
 * Badge text for a balance in mills (= coins): at most four characters (`999`, `1.2k`, `12k`). A
 * count, not money: the badge has no room for `$4.763`; the tooltip ({@link badgeTitle}) has it.
 */
export function badgeText(mills: number): string {
  if (mills <= 0) return '';
  if (mills < 1000) return String(mills);
  if (mills < 10_000) return `${(Math.floor(mills / 100) / 10).toString()}k`;
  return `${Math.min(999, Math.floor(mills / 1000))}k`;
}

/**
 * The icon's tooltip: the balance as money.
 * @example
 * badgeTitle(4760); // 'MicroMint Wallet: $4.76 in coins and chains'
 */
export const badgeTitle = (mills: number): string => `MicroMint Wallet: ${formatMoney(mills)} in coins and chains`;

/**
 * What the badge shows, in mills: the coins (`balance`) and what open chains hold, as the wallet's
 * summary counts them, read without the rest of the summary (the badge is redrawn after every payment).
 * @example
 * await updateBadge(await walletMills(db));
 */
export async function walletMills(db: WalletDb, now = Date.now()): Promise<number> {
  const [coins, chains] = await Promise.all([balance(db, now), listChains(db, undefined, now)]);
  return chains.reduce((n, c) => n + c.heldMills, coins);
}

/** Shows the balance on the toolbar icon. */
export async function updateBadge(mills: number): Promise<void> {
  await chrome.action.setBadgeBackgroundColor({ color: '#8a5a00' });
  await chrome.action.setBadgeText({ text: badgeText(mills) });
  await chrome.action.setTitle({ title: badgeTitle(mills) });
}
