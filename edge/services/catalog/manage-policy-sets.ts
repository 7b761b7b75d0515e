import { asc, eq, gt } from 'drizzle-orm';
import { billingSettings, offers, policySets } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { pageOf } from '../page-of.ts';
import type { PolicySetCreateInput, PolicySetPatchInput } from './catalog-input.ts';
import { diff, uniquely } from './catalog-store.ts';
import { presentPolicySet, type PolicySetRow } from './present.ts';

const nameTaken = (name: string) =>
  new AppError('conflict', `a policy set named ${name} already exists`, {
    errors: [{ path: 'name', message: 'already used by another policy set' }],
  });

export async function findPolicySet(db: TenantReader, id: string): Promise<PolicySetRow> {
  const [row] = await db.select().from(policySets).where(eq(policySets.id, id));
  if (!row) throw new AppError('not_found', `no policy set ${id}`);
  return row;
}

const columns = [
  ['name', 'name'],
  ['proration', 'proration'],
  ['refund_policy', 'refundPolicy'],
  ['change_invoice_timing', 'changeInvoiceTiming'],
  ['upgrade_fees', 'upgradeFees'],
  ['downgrade_fees', 'downgradeFees'],
  ['min_invoice_amount', 'minInvoiceAmount'],
  ['dunning_steps', 'dunningSteps'],
  ['grace_days', 'graceDays'],
  ['prepaid_grace_days', 'prepaidGraceDays'],
  ['prepaid_deactivation_days', 'prepaidDeactivationDays'],
] as const;

export async function createPolicySet({ ctx, input }: { ctx: TenantContext; input: PolicySetCreateInput }) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        const id = uuidv7(now.getTime());
        const values = Object.fromEntries(columns.map(([field, column]) => [column, input[field]])) as Omit<
          PolicySetRow,
          'id' | 'createdAt' | 'updatedAt'
        >;
        const [row] = await tx
          .insert(policySets)
          .values({ ...values, id, createdAt: now, updatedAt: now })
          .returning();
        await appendAuditEvent(tx, ctx, {
          action: 'policy_set.created',
          resource: 'policy_set',
          resourceId: id,
          changes: { ...input },
        });
        return presentPolicySet(row!);
      }),
    () => nameTaken(input.name),
  );
}

export const getPolicySet = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentPolicySet(await findPolicySet(ctx.db, input.id));

/** Changes apply from the next time a rule is read (the next invoice, plan change or dunning step). */
export async function updatePolicySet({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: PolicySetPatchInput };
}) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        const row = await findPolicySet(tx, input.id);
        const { set, changes } = diff(row, input.patch, columns);
        if (Object.keys(changes).length === 0) return presentPolicySet(row);
        const [updated] = await tx
          .update(policySets)
          .set({ ...set, updatedAt: now })
          .where(eq(policySets.id, row.id))
          .returning();
        await appendAuditEvent(tx, ctx, {
          action: 'policy_set.updated',
          resource: 'policy_set',
          resourceId: row.id,
          changes,
        });
        return presentPolicySet(updated!);
      }),
    () => nameTaken(input.patch.name ?? ''),
  );
}

/**
 * Policy sets are not archived: one still named by an offer or by the billing settings cannot go (409); others are
 * deleted.
 */
export async function deletePolicySet({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const row = await findPolicySet(tx, input.id);
    const [offer] = await tx.select({ code: offers.code }).from(offers).where(eq(offers.policySetId, row.id)).limit(1);
    if (offer)
      throw new AppError(
        'invalid_state',
        `policy set ${row.name} is used by offer ${offer.code} (archived offers count: their subscriptions keep it)`,
      );
    const [settings] = await tx
      .select({ id: billingSettings.id })
      .from(billingSettings)
      .where(eq(billingSettings.defaultPolicySetId, row.id));
    if (settings)
      throw new AppError(
        'invalid_state',
        `policy set ${row.name} is the billing settings' default; choose another default first`,
      );
    await tx.delete(policySets).where(eq(policySets.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'policy_set.deleted',
      resource: 'policy_set',
      resourceId: row.id,
      changes: { name: row.name },
    });
  });
}

/** By name; the cursor is the name of the last policy set returned. */
export async function listPolicySets({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(policySets)
    .where(input.cursor ? gt(policySets.name, input.cursor) : undefined)
    .orderBy(asc(policySets.name))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentPolicySet, (row) => row.name);
}

export const policySetCsvColumns = ['id', ...columns.map(([field]) => field), 'created_at', 'updated_at'] as const;
