// A subscriber's money terms: what it is charged (tax rate) and how its debts are pursued
// (payment terms, grace, minimum balance). Setting them is a billing decision, so it needs
// billing:write on top of subscribers:write (issue 13 D5); support and operations edit the
// rest of the record.
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';

/** The terms a new subscriber gets when its creator sets none. */
export const defaultMoneyTerms = { payment_due_days: 14, grace_days: 0, min_balance: 0, tax_rate_id: null } as const;
export type MoneyTerm = keyof typeof defaultMoneyTerms;
export const moneyTerms = Object.keys(defaultMoneyTerms) as MoneyTerm[];

export const mayChangeMoneyTerms = (ctx: TenantContext) =>
  !ctx.principal || ctx.principal.permissions.has('billing:write');

/**
 * Refuses with 403 when `fields` (the money terms a request changes, or sets other than
 * the defaults on a new subscriber) are not empty and the caller lacks billing:write.
 * Scheduler work has no principal and is not limited.
 */
export function assertMayChangeMoneyTerms(ctx: TenantContext, fields: readonly MoneyTerm[]) {
  if (fields.length === 0 || mayChangeMoneyTerms(ctx)) return;
  throw new AppError('forbidden', `changing ${fields.join(', ')} needs the billing:write permission`);
}

/** The money terms of a new subscriber that differ from the defaults. */
export const nonDefaultMoneyTerms = (input: { [K in MoneyTerm]?: number | string | null | undefined }) =>
  moneyTerms.filter((field) => (input[field] ?? null) !== defaultMoneyTerms[field]);
