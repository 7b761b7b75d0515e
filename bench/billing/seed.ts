// Setup for the billing bench, not measured: N subscribers and N active monthly
// subscriptions written straight into the tenant's libSQL file with multi-row INSERTs, a
// few transactions in all. Bypassing the API must still leave what the API would: the
// subscribers_fts row of each subscriber (rowid = seq), the SUB sequence at N, and the
// domain events the import and activation record.
import type { Client, InValue } from '@libsql/client';
import { defaultAnchor, periodContaining } from '../../edge/services/billing/periods.ts';
import { uuidv7 } from '../../edge/lib/ids.ts';
import { searchBody } from '../../edge/services/subscribers/search-index.ts';

export type SeedInput = {
  subscriptions: number;
  offerId: string;
  currency: string;
  timeZone: string;
  asOf: number;
  now: number;
};

// Rows per INSERT (≤ 25 columns × 400 = 10,000 bound parameters, under SQLite's 32,766)
// and per transaction.
const rowsPerInsert = 400;
const rowsPerTransaction = 25_000;

const firstNames = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];

/** A calendar month before `instant` (UTC fields; the 31st of a short month rolls forward). */
const monthBefore = (instant: number) => {
  const d = new Date(instant);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.getTime();
};

async function insertRows(
  tx: { execute(stmt: { sql: string; args: InValue[] }): Promise<unknown> },
  head: string,
  columns: number,
  rows: InValue[][],
) {
  for (let i = 0; i < rows.length; i += rowsPerInsert) {
    const chunk = rows.slice(i, i + rowsPerInsert);
    const placeholders = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    await tx.execute({ sql: `${head} VALUES ${chunk.map(() => placeholders).join(', ')}`, args: chunk.flat() });
  }
}

/**
 * Seeds subscribers SUB-000001… with billing days 1–28 in turn, each with one active
 * monthly subscription anchored on that day whose next_billing_at is the start of the
 * period containing `asOf` (tenant time zone): every subscription is due exactly once.
 * Returns the number of distinct period starts (a sanity figure) and the seconds taken.
 */
export async function seedSubscriptions(
  client: Client,
  input: SeedInput,
): Promise<{ seconds: number; transactions: number; periodStarts: number }> {
  const started = performance.now();
  const startAt = monthBefore(input.asOf);
  // Only 28 anchors: compute each period once.
  const periods = new Map<number, { start: number; end: number }>();
  const periodOf = (day: number) => {
    let period = periods.get(day);
    if (!period) {
      period = periodContaining(input.asOf, defaultAnchor('monthly', startAt, input.timeZone, day), input.timeZone);
      if (period.start > input.asOf || period.end <= input.asOf)
        throw new Error(`period for day ${day} does not contain as_of`);
      periods.set(day, period);
    }
    return period;
  };
  let transactions = 0;
  for (let from = 1; from <= input.subscriptions; from += rowsPerTransaction) {
    const to = Math.min(input.subscriptions, from + rowsPerTransaction - 1);
    const subscriberRows: InValue[][] = [];
    const searchRows: InValue[][] = [];
    const subscriptionRows: InValue[][] = [];
    const eventRows: InValue[][] = [];
    for (let seq = from; seq <= to; seq++) {
      const id = uuidv7(input.now);
      const number = `SUB-${String(seq).padStart(6, '0')}`;
      const firstName = firstNames[seq % firstNames.length]!;
      const lastName = `Billing${seq}`;
      const displayName = `${firstName} ${lastName}`;
      const email = `billing${seq}@subscribers.test`;
      const billingDay = ((seq - 1) % 28) + 1;
      // id, seq, number, kind, status, first_name, last_name, organization_name, display_name, email, phone, locale,
      // timezone, organization_id, billing_day, payment_due_days, grace_days, min_balance, marketing_opt_in, notes,
      // custom_fields, created_at, updated_at
      subscriberRows.push([
        id,
        seq,
        number,
        'person',
        'active',
        firstName,
        lastName,
        null,
        displayName,
        email,
        null,
        null,
        null,
        null,
        billingDay,
        14,
        0,
        0,
        0,
        null,
        '{}',
        input.now,
        input.now,
      ]);
      searchRows.push([
        seq,
        searchBody({ number, displayName, firstName, lastName, organizationName: null, email, phone: null }, [], []),
      ]);
      eventRows.push([
        uuidv7(input.now),
        'subscriber.created',
        'subscriber',
        id,
        JSON.stringify({ number }),
        input.now,
      ]);

      const subscriptionId = uuidv7(input.now);
      const period = periodOf(billingDay);
      const activatedAt = Math.min(startAt, period.start);
      // id, subscriber_id, offer_id, status, username, currency, price_override, billing_cycle, billing_anchor_day,
      // billing_anchor_month, discount_id, discount_cycles_used, start_at, activated_at, next_billing_at, credit_basis,
      // created_at, updated_at
      subscriptionRows.push([
        subscriptionId,
        id,
        input.offerId,
        'active',
        `billing${seq}`,
        input.currency,
        null,
        'monthly',
        billingDay,
        null,
        null,
        0,
        activatedAt,
        activatedAt,
        period.start,
        0,
        input.now,
        input.now,
      ]);
      eventRows.push([
        uuidv7(input.now),
        'subscription.activated',
        'subscription',
        subscriptionId,
        JSON.stringify({
          activated_at: new Date(activatedAt).toISOString(),
          offer_id: input.offerId,
          username: `billing${seq}`,
          pending_charges: [],
        }),
        activatedAt,
      ]);
    }
    const tx = await client.transaction('write');
    try {
      await insertRows(
        tx,
        'INSERT INTO subscribers (id, seq, number, kind, status, first_name, last_name, organization_name, ' +
          'display_name, email, phone, locale, timezone, organization_id, billing_day, payment_due_days, ' +
          'grace_days, min_balance, marketing_opt_in, notes, custom_fields, created_at, updated_at)',
        23,
        subscriberRows,
      );
      await insertRows(tx, 'INSERT INTO subscribers_fts (rowid, body)', 2, searchRows);
      await insertRows(
        tx,
        'INSERT INTO subscriptions (id, subscriber_id, offer_id, status, username, currency, price_override, ' +
          'billing_cycle, billing_anchor_day, billing_anchor_month, discount_id, discount_cycles_used, start_at, ' +
          'activated_at, next_billing_at, credit_basis, created_at, updated_at)',
        18,
        subscriptionRows,
      );
      await insertRows(
        tx,
        'INSERT INTO domain_events (id, type, subject_type, subject_id, payload, occurred_at)',
        6,
        eventRows,
      );
      await tx.execute({
        sql:
          'INSERT INTO document_sequences (prefix, last_value) VALUES (?, ?) ON CONFLICT (prefix) DO UPDATE SET ' +
          'last_value = excluded.last_value',
        args: ['SUB', to],
      });
      await tx.commit();
    } finally {
      tx.close();
    }
    transactions += 1;
  }
  // Start the measured run from a checkpointed WAL, as a long-running server would be.
  await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  return {
    seconds: (performance.now() - started) / 1000,
    transactions,
    periodStarts: new Set([...periods.values()].map((p) => p.start)).size,
  };
}
