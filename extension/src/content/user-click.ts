/**
 * Clicks that only a person can make. The prompt lives in an open shadow root (a team contract
 * the end-to-end tests rely on), so the page's own scripts can reach its buttons and call
 * `click()`; such events are untrusted (`isTrusted` false), and a page that could press "Pay" on
 * its own would spend above the autopay threshold without the user. Real mouse and keyboard
 * activations are trusted.
 * @module
 */

/** Calls `handler` for trusted clicks on `target` only. */
export function onUserClick(target: Pick<EventTarget, 'addEventListener'>, handler: (event: Event) => void): void {
  target.addEventListener('click', (event: Event) => {
    if (event.isTrusted) handler(event);
  });
}
