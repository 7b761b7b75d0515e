// Usage intake (business-rules.md "Usage and fair-usage (FUP)"): the appliance reports
// RADIUS accounting in batches. The batch is not all-or-nothing: the appliance cannot fix
// a row (an unknown login, a bad timestamp) and must not be blocked behind it, so each bad
// row is reported by index and every good row is kept. Idempotent by the reporter's id.
import { desc, inArray } from 'drizzle-orm';
import { offers, subscriptions, usageRecords } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { periodContaining } from '../billing/periods.ts';
import { anchorOf, type SubscriptionRow } from '../subscriptions/subscription-pricing.ts';
import {
  bucketKey,
  chunked,
  ensureBuckets,
  addToBuckets,
  fireThresholds,
  includedBytesFor,
  type BucketWanted,
} from './quota-buckets.ts';
import { UsageRecordInput } from './usage-input.ts';

export type UsageRejection = { index: number; id: string | null; message: string };
export type UsageBatchResult = { accepted: number; duplicates: number; rejected: UsageRejection[] };

type Parsed = { index: number; record: UsageRecordInput };

const live = (sub: SubscriptionRow) => sub.status !== 'canceled' && sub.status !== 'expired';

/**
 * A username names its live subscription; with none live, the latest one (accounting that arrives after a
 * cancellation).
 */
function byUsername(rows: readonly SubscriptionRow[]): Map<string, SubscriptionRow> {
  const map = new Map<string, SubscriptionRow>();
  for (const row of rows) {
    const seen = map.get(row.username!);
    if (!seen || (live(row) && !live(seen))) map.set(row.username!, row);
  }
  return map;
}

function rejectionOf(
  index: number,
  raw: unknown,
  issues: readonly { path: PropertyKey[]; message: string }[],
): UsageRejection {
  const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? raw.id : null;
  return {
    index,
    id,
    message: issues
      .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
      .join('; '),
  };
}

/**
 * Stores a batch of usage records and adds each new one to its quota bucket: the bucket of
 * the billing period containing the record's last millisecond (end − 1 ms), clamped to
 * the subscription's service (activation to end), so a NAS clock slightly off never opens
 * a bucket for a period the subscription was not in. A record id seen before (in an
 * earlier batch or earlier in this one) is a duplicate and changes nothing, even if its
 * numbers differ: the first report of an id is the one counted. Everything accepted is
 * written in one transaction, thresholds included.
 */
export async function recordUsage({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { records: readonly unknown[] };
}): Promise<UsageBatchResult> {
  const now = new Date(ctx.platform.now());
  const timeZone = ctx.tenant.timezone;
  const rejected: UsageRejection[] = [];
  const parsed: Parsed[] = [];
  const idsInBatch = new Set<string>();
  let duplicates = 0;
  input.records.forEach((raw, index) => {
    const result = UsageRecordInput.safeParse(raw);
    if (!result.success) return void rejected.push(rejectionOf(index, raw, result.error.issues));
    if (idsInBatch.has(result.data.id)) return void duplicates++;
    idsInBatch.add(result.data.id);
    parsed.push({ index, record: result.data });
  });

  const accepted = await ctx.db.transaction(async (tx) => {
    const known = new Set<string>();
    for (const ids of chunked([...idsInBatch], 500)) {
      for (const row of await tx
        .select({ id: usageRecords.id })
        .from(usageRecords)
        .where(inArray(usageRecords.id, ids)))
        known.add(row.id);
    }
    const fresh = parsed.filter((p) => !known.has(p.record.id));
    duplicates += parsed.length - fresh.length;

    const subIds = [...new Set(fresh.flatMap((p) => (p.record.subscription_id ? [p.record.subscription_id] : [])))];
    const usernames = [...new Set(fresh.flatMap((p) => (p.record.username ? [p.record.username] : [])))];
    const subsById = new Map<string, SubscriptionRow>();
    for (const ids of chunked(subIds, 500))
      for (const row of await tx.select().from(subscriptions).where(inArray(subscriptions.id, ids)))
        subsById.set(row.id, row);
    const named: SubscriptionRow[] = [];
    for (const names of chunked(usernames, 500))
      named.push(
        ...(await tx
          .select()
          .from(subscriptions)
          .where(inArray(subscriptions.username, names))
          .orderBy(desc(subscriptions.createdAt))),
      );
    const subsByUsername = byUsername(named);
    const offerIds = [...new Set([...subsById.values(), ...named].map((s) => s.offerId))];
    const includedGb = new Map(
      (offerIds.length
        ? await tx
            .select({ id: offers.id, includedGb: offers.includedGb })
            .from(offers)
            .where(inArray(offers.id, offerIds))
        : []
      ).map((o) => [o.id, o.includedGb]),
    );

    const placed: { index: number; record: UsageRecordInput; sub: SubscriptionRow; key: string }[] = [];
    const wanted = new Map<string, BucketWanted>();
    for (const { index, record } of fresh) {
      const sub = record.subscription_id ? subsById.get(record.subscription_id) : subsByUsername.get(record.username!);
      const who = record.subscription_id ? `subscription ${record.subscription_id}` : `username ${record.username}`;
      if (!sub) {
        rejected.push({ index, id: record.id, message: `no ${who}` });
        continue;
      }
      if (!sub.activatedAt) {
        rejected.push({ index, id: record.id, message: `${who} was never activated` });
        continue;
      }
      const lastMs = Math.max(Date.parse(record.end) - 1, Date.parse(record.start));
      const instant = Math.max(Math.min(lastMs, (sub.endsAt?.getTime() ?? Infinity) - 1), sub.activatedAt.getTime());
      const period = periodContaining(instant, anchorOf(sub), timeZone);
      const key = bucketKey(sub.id, period.start);
      if (!wanted.has(key))
        wanted.set(key, {
          subscriptionId: sub.id,
          period,
          includedBytes: includedBytesFor(includedGb.get(sub.offerId) ?? null, sub.activatedAt, period),
        });
      placed.push({ index, record, sub, key });
    }
    if (placed.length === 0) return 0;

    const buckets = await ensureBuckets(tx, [...wanted.values()], now);
    // ON CONFLICT DO NOTHING: a concurrent batch that stored the same id first wins, and
    // only the rows this statement inserted are counted.
    const inserted = new Set<string>();
    for (const chunk of chunked(placed)) {
      const rows = await tx
        .insert(usageRecords)
        .values(
          chunk.map(({ record, sub, key }) => ({
            id: record.id,
            subscriptionId: sub.id,
            bucketId: buckets.get(key)!.id,
            startAt: new Date(record.start),
            endAt: new Date(record.end),
            inputOctets: record.input_octets,
            outputOctets: record.output_octets,
            receivedAt: now,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: usageRecords.id });
      for (const row of rows) inserted.add(row.id);
    }
    duplicates += placed.length - inserted.size;

    const added = new Map<string, number>();
    const subOfBucket = new Map<string, SubscriptionRow>();
    for (const { record, sub, key } of placed) {
      if (!inserted.has(record.id)) continue;
      const bucket = buckets.get(key)!;
      added.set(bucket.id, (added.get(bucket.id) ?? 0) + record.input_octets + record.output_octets);
      subOfBucket.set(bucket.id, sub);
    }
    for (const bucket of await addToBuckets(tx, added, now))
      await fireThresholds(tx, bucket, subOfBucket.get(bucket.id)!, now, timeZone);
    return inserted.size;
  });
  rejected.sort((a, b) => a.index - b.index);
  return { accepted, duplicates, rejected };
}
