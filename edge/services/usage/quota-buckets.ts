// Quota buckets (business-rules.md "Usage and fair-usage (FUP)"): one per subscription and
// billing period, holding the period's included volume (prorated by the active part of the
// period) and what was used. Thresholds are stamped by conditional updates, so each fires
// exactly once per bucket however records arrive: in one batch, many, or concurrently.
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { quotaBuckets } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { Period } from '../billing/periods.ts';
import { prorate } from '../billing/proration.ts';
import { readBillingSettings } from '../catalog/billing-settings.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { placeHold } from '../subscriptions/service-holds.ts';
import { periodLabel, type SubscriptionRow } from '../subscriptions/subscription-pricing.ts';

export type BucketRow = typeof quotaBuckets.$inferSelect;

export const bytesPerGb = 1_000_000_000;

/**
 * The period's included volume: the offer's GB × 10^9 prorated by the active part of the
 * period (from activation, or the period's start, to its end), rounded once; null when the
 * offer is unmetered. A volume beyond 2^53 bytes (9 PB) is held at that.
 */
export function includedBytesFor(includedGb: number | null, activatedAt: Date, period: Period): number | null {
  if (includedGb === null) return null;
  const full = Math.min(includedGb * bytesPerGb, Number.MAX_SAFE_INTEGER);
  const from = Math.max(activatedAt.getTime(), period.start);
  return prorate(full, period.end - from, period.end - period.start);
}

export const bucketKey = (subscriptionId: string, periodStart: number) => `${subscriptionId}|${periodStart}`;

export type BucketWanted = { subscriptionId: string; period: Period; includedBytes: number | null };

// SQLite binds at most 32,766 parameters per statement: 9 columns × 1,000 rows stays well below.
const rowsPerStatement = 1_000;

export function chunked<T>(rows: readonly T[], size = rowsPerStatement): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/**
 * The buckets of these (subscription, period)s, created on first use. The insert ignores
 * a bucket that exists (or that a concurrent writer just made), so the first included
 * volume computed for a period is the one kept.
 */
export async function ensureBuckets(
  tx: TenantTx,
  wanted: readonly BucketWanted[],
  now: Date,
): Promise<Map<string, BucketRow>> {
  const found = new Map<string, BucketRow>();
  if (wanted.length === 0) return found;
  for (const chunk of chunked(wanted)) {
    await tx
      .insert(quotaBuckets)
      .values(
        chunk.map((w) => ({
          id: uuidv7(now.getTime()),
          subscriptionId: w.subscriptionId,
          periodStart: new Date(w.period.start),
          periodEnd: new Date(w.period.end),
          includedBytes: w.includedBytes,
          usedBytes: 0,
          updatedAt: now,
        })),
      )
      .onConflictDoNothing();
  }
  const subscriptionIds = [...new Set(wanted.map((w) => w.subscriptionId))];
  const starts = [...new Set(wanted.map((w) => w.period.start))].map((s) => new Date(s));
  for (const ids of chunked(subscriptionIds, 500)) {
    for (const periodStarts of chunked(starts, 500)) {
      const rows = await tx
        .select()
        .from(quotaBuckets)
        .where(and(inArray(quotaBuckets.subscriptionId, ids), inArray(quotaBuckets.periodStart, periodStarts)));
      for (const row of rows) found.set(bucketKey(row.subscriptionId, row.periodStart.getTime()), row);
    }
  }
  return found;
}

/** Adds bytes to buckets (one statement per chunk) and returns them as they are now. */
export async function addToBuckets(tx: TenantTx, added: ReadonlyMap<string, number>, now: Date): Promise<BucketRow[]> {
  const updated: BucketRow[] = [];
  for (const chunk of chunked([...added].filter(([, bytes]) => bytes > 0))) {
    const values = sql.join(
      chunk.map(([id, bytes]) => sql`(${id}, ${bytes})`),
      sql`, `,
    );
    await tx.run(
      sql`UPDATE quota_buckets SET used_bytes = used_bytes + v.column2, updated_at = ${now.getTime()} FROM (VALUES
        ${values}) AS v WHERE quota_buckets.id = v.column1`,
    );
    updated.push(
      ...(await tx
        .select()
        .from(quotaBuckets)
        .where(
          inArray(
            quotaBuckets.id,
            chunk.map(([id]) => id),
          ),
        )),
    );
  }
  return updated;
}

/** Whether `used` has reached `percent` % of `included` (exact; a bucket with nothing used has reached nothing). */
export function reached(used: number, included: number, percent: number): boolean {
  return used > 0 && BigInt(used) * 100n >= BigInt(included) * BigInt(percent);
}

/** Used as a share of included, in hundredths of a percent, rounded down (79.999 % is not 80 %). */
export function percentOf(used: number, included: number | null): number | null {
  if (included === null) return null;
  if (included === 0) return used > 0 ? 100 : 0;
  return Number((BigInt(used) * 10_000n) / BigInt(included)) / 100;
}

const warnings = [
  { percent: 80, column: quotaBuckets.warned80At, set: (at: Date) => ({ warned80At: at }) },
  { percent: 90, column: quotaBuckets.warned90At, set: (at: Date) => ({ warned90At: at }) },
] as const;

/**
 * Fires what `bucket` has newly reached, in order: `usage.quota_warning` at 80 % and 90 %,
 * then at 100 % `usage.quota_exhausted` and the `fup` throttle hold. Each stamp is a
 * conditional update of a still-empty column, so it happens once per bucket. The hold is
 * only placed while the bucket's period is current and the subscription is live: a late
 * record for a closed period must not throttle the new one.
 */
export async function fireThresholds(
  tx: TenantTx,
  bucket: BucketRow,
  sub: SubscriptionRow,
  now: Date,
  timeZone: string,
): Promise<void> {
  const included = bucket.includedBytes;
  if (included === null) return;
  const used = bucket.usedBytes;
  const payload = (percent: number) => ({
    bucket_id: bucket.id,
    percent,
    used_bytes: used,
    included_bytes: included,
    period_start: bucket.periodStart.toISOString(),
    period_end: bucket.periodEnd.toISOString(),
  });
  for (const warning of warnings) {
    if (!reached(used, included, warning.percent)) continue;
    const [stamped] = await tx
      .update(quotaBuckets)
      .set(warning.set(now))
      .where(and(eq(quotaBuckets.id, bucket.id), isNull(warning.column)))
      .returning({ id: quotaBuckets.id });
    if (stamped)
      await recordDomainEvent(
        tx,
        {
          type: 'usage.quota_warning',
          subjectType: 'subscription',
          subjectId: sub.id,
          payload: payload(warning.percent),
        },
        now,
      );
  }
  if (!reached(used, included, 100)) return;
  const [exhausted] = await tx
    .update(quotaBuckets)
    .set({ exhaustedAt: now })
    .where(and(eq(quotaBuckets.id, bucket.id), isNull(quotaBuckets.exhaustedAt)))
    .returning({ id: quotaBuckets.id });
  if (!exhausted) return;
  await recordDomainEvent(
    tx,
    { type: 'usage.quota_exhausted', subjectType: 'subscription', subjectId: sub.id, payload: payload(100) },
    now,
  );
  const current = bucket.periodStart.getTime() <= now.getTime() && now.getTime() < bucket.periodEnd.getTime();
  if (!current || (sub.status !== 'active' && sub.status !== 'suspended')) return;
  const settings = await readBillingSettings(tx, now);
  const note =
    `data quota of ${periodLabel(bucket.periodStart.getTime(), bucket.periodEnd.getTime(), timeZone)} ` +
    `used up; throttle profile "${settings.throttleProfile}" (CoA, no disconnect)`;
  await placeHold(tx, { subscriptionId: sub.id, reason: 'fup', action: 'throttle', note }, now);
}

/** A bucket as shown; `id` is null for a period nothing was recorded in yet. */
export type BucketView = Omit<BucketRow, 'id' | 'updatedAt'> & { id: string | null };

export const presentBucket = (row: BucketView) => ({
  subscription_id: row.subscriptionId,
  bucket_id: row.id,
  period_start: row.periodStart.toISOString(),
  period_end: row.periodEnd.toISOString(),
  unmetered: row.includedBytes === null,
  included_bytes: row.includedBytes,
  used_bytes: row.usedBytes,
  remaining_bytes: row.includedBytes === null ? null : Math.max(0, row.includedBytes - row.usedBytes),
  overage_bytes: row.includedBytes === null ? 0 : Math.max(0, row.usedBytes - row.includedBytes),
  percent: percentOf(row.usedBytes, row.includedBytes),
  warned_80_at: row.warned80At?.toISOString() ?? null,
  warned_90_at: row.warned90At?.toISOString() ?? null,
  exhausted_at: row.exhaustedAt?.toISOString() ?? null,
  reset_at: row.resetAt?.toISOString() ?? null,
  rated_at: row.ratedAt?.toISOString() ?? null,
});
