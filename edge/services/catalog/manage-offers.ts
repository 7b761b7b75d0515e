import { and, desc, eq, lt } from 'drizzle-orm';
import { offers, type AccessType, type BillingMode, type ServiceType } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { pageOf } from '../page-of.ts';
import type { OfferCreateInput, OfferPatchInput } from './catalog-input.ts';
import {
  archivedWhere,
  assertPolicySetUsable,
  assertTaxRateUsable,
  diff,
  uniquely,
  validationFailed,
  type ArchivedFilter,
} from './catalog-store.ts';
import { findOffer } from './find-offer.ts';
import { presentOffer, pricesCell } from './present.ts';

const codeTaken = (code: string) =>
  new AppError('conflict', `an offer with code ${code} already exists`, {
    errors: [{ path: 'code', message: 'already used by another offer' }],
  });

/** References are checked in the writing transaction, so an archive racing this write cannot slip between. */
async function assertReferences(
  tx: TenantTx,
  refs: { tax_rate_id?: string | null | undefined; policy_set_id?: string | null | undefined },
) {
  if (refs.tax_rate_id) await assertTaxRateUsable(tx, refs.tax_rate_id, 'tax_rate_id');
  if (refs.policy_set_id) await assertPolicySetUsable(tx, refs.policy_set_id, 'policy_set_id');
}

export async function createOffer({ ctx, input }: { ctx: TenantContext; input: OfferCreateInput }) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        await assertReferences(tx, input);
        const id = uuidv7(now.getTime());
        const [row] = await tx
          .insert(offers)
          .values({
            id,
            code: input.code,
            name: input.name,
            serviceType: input.service_type,
            accessType: input.access_type,
            billingCycle: input.billing_cycle,
            billingMode: input.billing_mode,
            prices: input.prices,
            taxRateId: input.tax_rate_id ?? null,
            downloadMbps: input.download_mbps,
            uploadMbps: input.upload_mbps,
            includedGb: input.included_gb ?? null,
            overagePerGb: input.overage_per_gb ?? null,
            setupFee: input.setup_fee ?? null,
            policySetId: input.policy_set_id ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        const changes = {
          code: input.code,
          name: input.name,
          billing_cycle: input.billing_cycle,
          billing_mode: input.billing_mode,
          prices: input.prices,
        };
        await appendAuditEvent(tx, ctx, { action: 'offer.created', resource: 'offer', resourceId: id, changes });
        return presentOffer(row!);
      }),
    () => codeTaken(input.code),
  );
}

export const getOffer = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentOffer(await findOffer(ctx.db, input.id));

const editable = [
  ['code', 'code'],
  ['name', 'name'],
  ['service_type', 'serviceType'],
  ['access_type', 'accessType'],
  ['billing_cycle', 'billingCycle'],
  ['billing_mode', 'billingMode'],
  ['prices', 'prices'],
  ['tax_rate_id', 'taxRateId'],
  ['download_mbps', 'downloadMbps'],
  ['upload_mbps', 'uploadMbps'],
  ['included_gb', 'includedGb'],
  ['overage_per_gb', 'overagePerGb'],
  ['setup_fee', 'setupFee'],
  ['policy_set_id', 'policySetId'],
] as const;

/**
 * Everything but the billing cycle and mode may change (a different cycle is a different
 * offer: subscriptions' periods were cut by it). Changes apply to the offer's next use;
 * what invoices already carry is snapshotted there.
 */
export async function updateOffer({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: OfferPatchInput };
}) {
  const now = new Date(ctx.platform.now());
  const code = input.patch.code;
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        const row = await findOffer(tx, input.id);
        const { set, changes } = diff(row, input.patch, editable);
        const frozen = (['billing_cycle', 'billing_mode'] as const).filter((field) => field in changes);
        if (frozen.length)
          throw new AppError(
            'invalid_state',
            `an offer's ${frozen.join(' and ')} cannot change; create a new offer and move subscriptions to it`,
          );
        if (Object.keys(changes).length === 0) return presentOffer(row);
        const next = { ...row, ...set };
        if (next.overagePerGb !== null && next.includedGb === null)
          throw validationFailed([{ path: 'overage_per_gb', message: 'overage_per_gb needs included_gb' }]);
        await assertReferences(tx, {
          ...('tax_rate_id' in changes ? { tax_rate_id: next.taxRateId } : {}),
          ...('policy_set_id' in changes ? { policy_set_id: next.policySetId } : {}),
        });
        const [updated] = await tx
          .update(offers)
          .set({ ...set, updatedAt: now })
          .where(eq(offers.id, row.id))
          .returning();
        await appendAuditEvent(tx, ctx, { action: 'offer.updated', resource: 'offer', resourceId: row.id, changes });
        return presentOffer(updated!);
      }),
    () => codeTaken(code ?? ''),
  );
}

/** Archived offers cannot be chosen for new subscriptions; existing subscriptions keep them. */
export async function archiveOffer({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const now = new Date(ctx.platform.now());
  await ctx.db.transaction(async (tx) => {
    const row = await findOffer(tx, input.id);
    if (row.archivedAt) return;
    await tx.update(offers).set({ archivedAt: now, updatedAt: now }).where(eq(offers.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'offer.archived',
      resource: 'offer',
      resourceId: row.id,
      changes: { code: row.code },
    });
  });
}

export type OfferFilter = {
  service_type?: ServiceType | undefined;
  access_type?: AccessType | undefined;
  billing_mode?: BillingMode | undefined;
  archived?: ArchivedFilter | undefined;
};

/** Newest first; the cursor is the id of the last offer returned. */
export async function listOffers({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: OfferFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(offers)
    .where(
      and(
        input.service_type ? eq(offers.serviceType, input.service_type) : undefined,
        input.access_type ? eq(offers.accessType, input.access_type) : undefined,
        input.billing_mode ? eq(offers.billingMode, input.billing_mode) : undefined,
        archivedWhere(offers.archivedAt, input.archived),
        input.cursor ? lt(offers.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(offers.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentOffer, (row) => row.id);
}

export const offerCsvColumns = [
  'code',
  'id',
  'name',
  'service_type',
  'access_type',
  'billing_cycle',
  'billing_mode',
  'prices',
  'tax_rate_id',
  'download_mbps',
  'upload_mbps',
  'included_gb',
  'overage_per_gb',
  'setup_fee',
  'policy_set_id',
  'archived_at',
  'created_at',
  'updated_at',
] as const;

/** Price lists as "USD 4999; EUR 4500" (minor units), one cell each. */
export const offerCsvRecord = (offer: ReturnType<typeof presentOffer>) => ({
  ...offer,
  prices: pricesCell(offer.prices),
  overage_per_gb: pricesCell(offer.overage_per_gb),
  setup_fee: pricesCell(offer.setup_fee),
});
