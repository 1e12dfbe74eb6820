/**
 * The toolbar badge: the balance in mills (coins and links left on open chains) at a glance.
 * @module
 */

/** Badge text for a balance: at most four characters (`999`, `1.2k`, `12k`). */
export function badgeText(mills: number): string {
  if (mills <= 0) return '';
  if (mills < 1000) return String(mills);
  if (mills < 10_000) return `${(Math.floor(mills / 100) / 10).toString()}k`;
  return `${Math.min(999, Math.floor(mills / 1000))}k`;
}

/** Shows the balance on the toolbar icon. */
export async function updateBadge(mills: number): Promise<void> {
  await chrome.action.setBadgeBackgroundColor({ color: '#8a5a00' });
  await chrome.action.setBadgeText({ text: badgeText(mills) });
}
