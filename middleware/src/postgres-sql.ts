/**
 * The statements of `PostgresVendorStore` for coins, payments, refusals, epochs and redemption
 * batches, written once with the store's schema in them (the payword ones are in
 * postgres-payword.ts). The store prepares each on a connection the first time it runs there.
 * @module
 */

/** Inserts a payment and its coins (arrays `$9` ids and `$10` bytes, in order) in one statement. */
const insertPayment = (s: string, onConflict: string): string => `
  WITH p AS (
    INSERT INTO ${s}.payments (id, epoch, user_id, method, url, price, coin_count, paid_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
  )
  INSERT INTO ${s}.coins (epoch, coin_id, coin, payment_id)
  SELECT $2, u.id, u.coin, p.id FROM p, unnest($9::text[], $10::bytea[]) WITH ORDINALITY AS u (id, coin, ord)
  ORDER BY u.ord ${onConflict}`;

/** What a redemption batch sends of a coin (with the payment's user, URL and time). */
const COIN_FIELDS = 'c.seq, c.epoch, c.coin_id, c.coin, p.user_id, p.url, p.paid_at';

/** Every statement, by name, for schema `s` (quoted). */
export function statements(s: string) {
  return {
    /** Fails whole (unique violation) when a coin is known: then the store looks closer. */
    recordNew: insertPayment(s, ''),
    /** Inside the closer look: a coin recorded meanwhile by another instance shows as fewer rows. */
    recordNewUnlessKnown: insertPayment(s, 'ON CONFLICT DO NOTHING'),
    knownCoins: `SELECT c.coin_id AS "coinId", c.payment_id AS "paymentId", p.user_id AS "userId", p.method, p.url,
        p.paid_at AS "paidAt", p.coin_count AS "paymentCoins", c.coin
      FROM ${s}.coins c JOIN ${s}.payments p ON p.id = c.payment_id WHERE c.epoch = $1 AND c.coin_id = ANY($2::text[])`,
    markReplayed: `UPDATE ${s}.payments SET replayed_at = $1 WHERE id = $2`,
    insertRefusal: `INSERT INTO ${s}.refusals (at, scheme, epoch, user_id, method, url, reason, coin_ids, detail, chain_id, link_index, units)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    lockPayment: `SELECT replayed_at FROM ${s}.payments WHERE id = $1 FOR UPDATE`,
    lockPaymentCoins: `SELECT status, batch_id FROM ${s}.coins WHERE payment_id = $1 FOR UPDATE`,
    deletePayment: `WITH gone AS (DELETE FROM ${s}.coins WHERE payment_id = $1) DELETE FROM ${s}.payments WHERE id = $1`,
    saveEpoch: `INSERT INTO ${s}.epochs (id, params, saved_at) VALUES ($1, $2, $3)
      ON CONFLICT (id) DO UPDATE SET params = excluded.params, saved_at = excluded.saved_at`,
    epochs: `SELECT params FROM ${s}.epochs ORDER BY saved_at COLLATE "C", id COLLATE "C"`,
    probe: `INSERT INTO ${s}.probes (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at`,
    pendingByEpoch: `SELECT epoch, count(*) AS pending FROM ${s}.coins WHERE status = 'pending'
      GROUP BY epoch ORDER BY epoch COLLATE "C"`,
    openBatch: `SELECT id, sent_at FROM ${s}.redemption_batches WHERE answered_at IS NULL
      ORDER BY sent_at COLLATE "C", id COLLATE "C" LIMIT 1`,
    batchCoins: `SELECT ${COIN_FIELDS} FROM ${s}.coins c JOIN ${s}.payments p ON p.id = c.payment_id
      WHERE c.batch_id = $1 AND c.status = 'pending' ORDER BY c.seq`,
    closeEmptyBatch: `UPDATE ${s}.redemption_batches SET answered_at = $1, error = 'empty' WHERE id = $2`,
    /** A coin being taken back right now (locked) waits for a later batch. */
    pendingCoins: `SELECT seq FROM ${s}.coins WHERE status = 'pending' AND batch_id IS NULL
      ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
    insertBatch: `INSERT INTO ${s}.redemption_batches (id, sent_at) VALUES ($1, $2)`,
    assignCoins: `UPDATE ${s}.coins c SET batch_id = $1 FROM ${s}.payments p
      WHERE p.id = c.payment_id AND c.seq = ANY($2::bigint[]) RETURNING ${COIN_FIELDS}`,
    lockBatch: `SELECT 1 FROM ${s}.redemption_batches WHERE id = $1 FOR UPDATE`,
    failBatch: `UPDATE ${s}.redemption_batches SET answered_at = $1, error = $2 WHERE id = $3`,
    unbatchPending: `UPDATE ${s}.coins SET batch_id = NULL WHERE batch_id = $1 AND status = 'pending'`,
    markCoins: `UPDATE ${s}.coins c SET status = u.status, reason = u.reason
      FROM unnest($2::text[], $3::text[], $4::text[]) AS u (coin_id, status, reason)
      WHERE c.batch_id = $1 AND c.coin_id = u.coin_id AND c.status = 'pending'`,
    answerBatch: `UPDATE ${s}.redemption_batches SET answered_at = $1, response = $2 WHERE id = $3`,
    payment: `SELECT id, epoch, user_id, method, url, price, paid_at FROM ${s}.payments WHERE id = $1`,
    paymentCoins: `SELECT coin_id, status, reason, batch_id FROM ${s}.coins WHERE payment_id = $1 ORDER BY seq`,
    stats: `SELECT
        (SELECT count(*) FROM ${s}.payments) AS payments,
        c.coins, c.pending, c."inOpenBatch", c.credited, c.refused,
        (SELECT count(*) FROM ${s}.refusals) AS refusals,
        b.batches, b."openBatches",
        (SELECT count(*) FROM ${s}.payword_chains) AS chains,
        (SELECT count(*) FROM ${s}.payword_payments) AS "chainPayments",
        (SELECT count(*) FROM ${s}.payword_chains WHERE highest_index > cleared_index) AS "chainsToClear"
      FROM (SELECT count(*) AS coins,
              count(*) FILTER (WHERE status = 'pending') AS pending,
              count(*) FILTER (WHERE status = 'pending' AND batch_id IS NOT NULL) AS "inOpenBatch",
              count(*) FILTER (WHERE status = 'credited') AS credited,
              count(*) FILTER (WHERE status = 'refused') AS refused
            FROM ${s}.coins) c,
           (SELECT count(*) AS batches, count(*) FILTER (WHERE answered_at IS NULL) AS "openBatches"
            FROM ${s}.redemption_batches) b`,
  };
}

/** The name of a statement. */
export type Statement = keyof ReturnType<typeof statements>;
