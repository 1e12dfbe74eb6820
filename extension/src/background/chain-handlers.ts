/**
 * The handlers of the chain messages (`wallet-key`, `wallet-connected`, `chains-list`), built in
 * one place so the worker's entry wires them with one line:
 *
 *     const handlers: Handlers = { ..., ...chainHandlers(db, settings) };
 * @module
 */
import { listChains, type WalletDb } from '../wallet/index.ts';
import type { ChainMessageType, Handlers } from './router.ts';
import type { SettingsStore } from './settings.ts';
import { WalletConnection } from './wallet-connection.ts';

/**
 * The chain messages' handlers. The broker-page ones check the sender's origin against the
 * configured broker (the router already checked it is a page's content script).
 * @example
 * const handlers: Handlers = { ...coreHandlers, ...chainHandlers(db, settings) };
 */
export function chainHandlers(db: WalletDb, settings: SettingsStore): Required<Pick<Handlers, ChainMessageType>> {
  const connection = new WalletConnection(db, settings);
  return {
    'wallet-key': (_body, caller) => connection.key(caller.origin),
    'wallet-connected': (body, caller) => connection.connected(body, caller.origin),
    'chains-list': (body) => listChains(db, typeof body.vendorId === 'string' ? body.vendorId : undefined),
  };
}
