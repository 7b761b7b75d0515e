import { eq, inArray } from 'drizzle-orm';
import { billingSettings, taxRates } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
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
export async function readBillingSettings(db: TenantTx, now: Date = new Date(0)): Promise<BillingSettingsRow> {
  const [row] = await db.select().from(billingSettings).where(eq(billingSettings.id, settingsId));
  if (row) return row;
  await db
    .insert(billingSettings)
    .values({ id: settingsId, ...billingSettingsDefaults, defaultTaxRateIds: [], updatedAt: now })
    .onConflictDoNothing();
  const [created] = await db.select().from(billingSettings).where(eq(billingSettings.id, settingsId));
  return created!;
}

/**
 * The default rates apply together to one line, and a line is priced either net of tax or
 * with tax in it (business-rules.md "Tax"): a mix could never be priced, so it is refused
 * here rather than failing every activation, plan change and billing run later.
 */
async function assertOneTaxMode(tx: TenantTx, ids: readonly string[]) {
  const rows = ids.length
    ? await tx
        .select({ mode: taxRates.mode })
        .from(taxRates)
        .where(inArray(taxRates.id, [...ids]))
    : [];
  const modes = new Set(rows.map((r) => r.mode).filter((mode) => mode !== 'exempt'));
  if (modes.size > 1) {
    const message = 'mixes inclusive and exclusive rates; one line is taxed in one mode';
    throw new AppError('unprocessable', `default_tax_rate_ids ${message}`, {
      errors: [{ path: 'default_tax_rate_ids', message }],
    });
  }
}

export const getBillingSettings = async ({ ctx }: { ctx: TenantContext }) =>
  presentBillingSettings(await readBillingSettings(ctx.db, new Date(ctx.platform.now())));

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
      throw validationFailed([
        {
          path: 'enforcement_end_hour',
          message: `must be after enforcement_start_hour (${next.enforcementStartHour})`,
        },
      ]);
    }
    if (set.defaultTaxRateIds) {
      for (const [i, id] of set.defaultTaxRateIds.entries())
        await assertTaxRateUsable(tx, id, `default_tax_rate_ids.${i}`);
      await assertOneTaxMode(tx, set.defaultTaxRateIds);
    }
    if (set.defaultPolicySetId) await assertPolicySetUsable(tx, set.defaultPolicySetId, 'default_policy_set_id');
    const [updated] = await tx
      .update(billingSettings)
      .set({ ...set, updatedAt: now })
      .where(eq(billingSettings.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'billing_settings.updated',
      resource: 'billing_settings',
      resourceId: row.id,
      changes,
    });
    return presentBillingSettings(updated!);
  });
}
