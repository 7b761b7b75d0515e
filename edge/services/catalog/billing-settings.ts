import { eq } from 'drizzle-orm';
import { billingSettings } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import type { BillingSettingsPatchInput } from './catalog-input.ts';
import { assertPolicySetUsable, assertTaxRateUsable, diff, validationFailed } from './catalog-store.ts';
import { presentBillingSettings, type BillingSettingsRow } from './present.ts';

const settingsId = 'default';

export const billingSettingsDefaults = Object.freeze({
  defaultTaxRateIds: [] as string[],
  defaultPolicySetId: null,
  throttleProfile: 'throttled',
  suspendedProfile: null,
  enforcementStartHour: 0,
  enforcementEndHour: 24,
});

/**
 * The tenant's billing settings, the row created with the defaults on first read (stamped
 * `now`, the epoch when the caller has no clock). The insert is a no-op when the row
 * exists, so concurrent first reads agree.
 */
export async function readBillingSettings(db: Pick<TenantTx, 'select' | 'insert'>, now: Date = new Date(0)): Promise<BillingSettingsRow> {
  const [row] = await db.select().from(billingSettings).where(eq(billingSettings.id, settingsId));
  if (row) return row;
  await db
    .insert(billingSettings)
    .values({ id: settingsId, ...billingSettingsDefaults, defaultTaxRateIds: [], updatedAt: now })
    .onConflictDoNothing();
  const [created] = await db.select().from(billingSettings).where(eq(billingSettings.id, settingsId));
  return created!;
}

export const getBillingSettings = async ({ ctx }: { ctx: TenantContext }) => presentBillingSettings(await readBillingSettings(ctx.db, new Date(ctx.platform.now())));

export async function updateBillingSettings({ ctx, input }: { ctx: TenantContext; input: BillingSettingsPatchInput }) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const row = await readBillingSettings(tx, now);
    const { set, changes } = diff(row, input, [
      ['default_tax_rate_ids', 'defaultTaxRateIds'],
      ['default_policy_set_id', 'defaultPolicySetId'],
      ['throttle_profile', 'throttleProfile'],
      ['suspended_profile', 'suspendedProfile'],
      ['enforcement_start_hour', 'enforcementStartHour'],
      ['enforcement_end_hour', 'enforcementEndHour'],
    ]);
    if (Object.keys(changes).length === 0) return presentBillingSettings(row);
    const next = { ...row, ...set };
    if (next.enforcementEndHour <= next.enforcementStartHour) {
      throw validationFailed([{ path: 'enforcement_end_hour', message: `must be after enforcement_start_hour (${next.enforcementStartHour})` }]);
    }
    if (set.defaultTaxRateIds) for (const [i, id] of set.defaultTaxRateIds.entries()) await assertTaxRateUsable(tx, id, `default_tax_rate_ids.${i}`);
    if (set.defaultPolicySetId) await assertPolicySetUsable(tx, set.defaultPolicySetId, 'default_policy_set_id');
    const [updated] = await tx.update(billingSettings).set({ ...set, updatedAt: now }).where(eq(billingSettings.id, row.id)).returning();
    await appendAuditEvent(tx, ctx, { action: 'billing_settings.updated', resource: 'billing_settings', resourceId: row.id, changes });
    return presentBillingSettings(updated!);
  });
}
