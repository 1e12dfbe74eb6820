/**
 * Purchases: the delivery page and the raw message, for their owner only.
 * @module
 */
import express from 'express';
import { MICROMINT_MIME } from '@micromint/shared';
import type { BrokerContext } from '../../core/context.ts';
import { fundsWithdrawnText } from '../../core/messages.ts';
import { messageView } from '../pages/vendors.ts';
import { withdrawalView } from '../pages/withdrawal.ts';
import { visitor } from '../session.ts';
import { loggedIn, send, userOf } from './common.ts';

/** `GET /withdrawals/<id>` and `GET /withdrawals/<id>.mm`. */
export function withdrawalRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();
  r.get('/withdrawals/:file', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    const file = String(req.params.file);
    const raw = file.endsWith('.mm');
    const id = raw ? file.slice(0, -3) : file;
    const w = /^w_[0-9a-f]{16}$/.test(id) ? await ctx.store.sets.withdrawal(id) : undefined;
    if (!w || w.userId !== user.id) {
      send(res, 404, 'Not found', messageView('Not found', 'There is no such purchase in your account.'));
      return;
    }
    const text = await fundsWithdrawnText(ctx, w.id);
    if (raw) {
      res.type(MICROMINT_MIME).set('Content-Disposition', `attachment; filename="${w.id}.mm"`).send(text);
      return;
    }
    const sets = await ctx.store.sets.setsOfWithdrawal(w.id);
    send(res, 200, 'Your coins', withdrawalView(visitor(res), w, sets, text, req.query.new === '1'));
  });
  return r;
}
