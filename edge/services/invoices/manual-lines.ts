import { and, eq } from 'drizzle-orm';
import { subscriptions } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { taxLine } from '../billing/tax.ts';
import { assertTaxRateUsable } from '../catalog/catalog-store.ts';
import type { BillingCatalog } from '../subscriptions/billing-catalog.ts';
import type { InvoiceLineDraft } from './issue-invoices.ts';

/** A line a clerk writes: `amount` per unit as charged (the rate's mode says whether tax is added or included). */
export type ManualLineInput = {
  description: string;
  amount: number;
  quantity?: number | undefined;
  tax_rate_id?: string | null | undefined;
  subscription_id?: string | null | undefined;
};

/**
 * Manual lines (a manual invoice's, a one-off charge) priced like every other line: amount
 * × quantity, taxed per line by the one resolution (business-rules.md "Tax": service
 * address → subscriber → the line's own rate → tenant default), rounded once. A named
 * subscription must be the subscriber's, a named rate usable (422 otherwise).
 */
export async function manualLines(
  tx: TenantTx,
  catalog: BillingCatalog,
  subscriberId: string,
  lines: readonly ManualLineInput[],
  path: string,
): Promise<InvoiceLineDraft[]> {
  await catalog.loadJurisdictions(tx, [subscriberId]);
  const errors: FieldError[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.tax_rate_id) await assertTaxRateUsable(tx, line.tax_rate_id, `${path}.${i}.tax_rate_id`);
    if (line.subscription_id) {
      const [own] = await tx
        .select({ id: subscriptions.id })
        .from(subscriptions)
        .where(and(eq(subscriptions.id, line.subscription_id), eq(subscriptions.subscriberId, subscriberId)));
      if (!own)
        errors.push({ path: `${path}.${i}.subscription_id`, message: 'is not a subscription of this subscriber' });
    }
  }
  if (errors.length)
    throw new AppError('unprocessable', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  return lines.map((line) => {
    const quantity = line.quantity ?? 1;
    const taxed = taxLine(line.amount * quantity, catalog.taxRatesFor(line.tax_rate_id ?? null, subscriberId));
    return {
      kind: 'one_time',
      subscriptionId: line.subscription_id ?? null,
      description: line.description,
      quantity,
      amount: taxed.net,
      taxAmount: taxed.tax,
      taxes: taxed.taxes,
    };
  });
}
