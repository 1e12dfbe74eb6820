/**
 * The toolbar badge: the balance in coins at a glance.
 * @module
 */

/** Badge text for a balance: at most four characters (`999`, `1.2k`, `12k`). */
export function badgeText(coins: number): string {
  if (coins <= 0) return '';
  if (coins < 1000) return String(coins);
  if (coins < 10_000) return `${(Math.floor(coins / 100) / 10).toString()}k`;
  return `${Math.min(999, Math.floor(coins / 1000))}k`;
}

/** Shows the balance on the toolbar icon. */
export async function updateBadge(coins: number): Promise<void> {
  await chrome.action.setBadgeBackgroundColor({ color: '#8a5a00' });
  await chrome.action.setBadgeText({ text: badgeText(coins) });
}
