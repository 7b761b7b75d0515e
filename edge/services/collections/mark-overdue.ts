import { and, asc, gt, inArray, lte } from 'drizzle-orm';
import { invoices } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import type { CollectionAction } from './manage-cases.ts';

const markable = ['issued', 'partially_paid'] as const;

/**
 * Marks up to `limit` unpaid invoices past due as `overdue` (business-rules.md
 * "Collections"), in the caller's write transaction, with `invoice.overdue` each. The
 * update is conditional on the status read, so a concurrent run marks each invoice once;
 * marked invoices leave the scan, so the caller repeats until fewer than `limit` are seen.
 */
export async function markOverdueChunk(
  tx: TenantTx,
  input: { asOf: Date; now: Date; limit: number },
): Promise<{ seen: number; actions: CollectionAction[] }> {
  const due = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(inArray(invoices.status, markable), gt(invoices.balanceDue, 0), lte(invoices.dueAt, input.asOf)))
    .orderBy(asc(invoices.dueAt), asc(invoices.id))
    .limit(input.limit);
  if (due.length === 0) return { seen: 0, actions: [] };
  const marked = await tx
    .update(invoices)
    .set({ status: 'overdue', updatedAt: input.now })
    .where(
      and(
        inArray(
          invoices.id,
          due.map((d) => d.id),
        ),
        inArray(invoices.status, markable),
        gt(invoices.balanceDue, 0),
      ),
    )
    .returning();
  const actions: CollectionAction[] = [];
  for (const invoice of marked) {
    const payload = {
      number: invoice.number,
      subscriber_id: invoice.subscriberId,
      currency: invoice.currency,
      balance_due: invoice.balanceDue,
      due_at: invoice.dueAt!.toISOString(),
    };
    await recordDomainEvent(
      tx,
      { type: 'invoice.overdue', subjectType: 'invoice', subjectId: invoice.id, payload },
      input.asOf,
    );
    actions.push({
      subscriber_id: invoice.subscriberId,
      invoice_id: invoice.id,
      action: 'mark_overdue',
      reason: 'overdue',
    });
  }
  return { seen: due.length, actions };
}
