/**
 * The popup's returns notice (a module of its own on popup.html, issue 10).
 * @module
 */
import browser from 'webextension-polyfill';
import type { Message } from '../messages.ts';
import { showReturnsNotice } from './returns-notice.ts';

void showReturnsNotice((m: Message) => browser.runtime.sendMessage(m)).catch(() => undefined);
