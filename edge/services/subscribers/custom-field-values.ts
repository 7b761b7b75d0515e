import { customFields } from '../../../db/tenant/index.ts';
import type { FieldError } from '../../errors.ts';
import { isCalendarDate } from './field-formats.ts';
import type { TenantReader } from '../../context.ts';

type Definition = typeof customFields.$inferSelect;

function checkValue(def: Definition, value: unknown): string | null {
  switch (def.type) {
    case 'text':
      return typeof value === 'string' && value.length <= 2000 ? null : 'must be text of at most 2000 characters';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? null : 'must be a date YYYY-MM-DD';
    case 'select':
      return typeof value === 'string' && (def.options ?? []).includes(value)
        ? null
        : `must be one of ${(def.options ?? []).join(', ')}`;
  }
}

/**
 * Merges `changes` into `current` and checks the result against the tenant's definitions:
 * unknown keys, wrong types and missing required values are field errors under
 * `custom_fields.<key>`. A null in `changes` removes that value.
 */
export async function resolveCustomFieldValues(
  db: TenantReader,
  current: Record<string, unknown>,
  changes: Record<string, unknown>,
): Promise<{ values: Record<string, unknown>; errors: FieldError[] }> {
  const definitions = await db.select().from(customFields);
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    const def = byKey.get(key);
    if (!def) {
      errors.push({ path: `custom_fields.${key}`, message: 'no custom field with this key' });
      continue;
    }
    if (value === null) {
      delete values[key];
      continue;
    }
    const problem = checkValue(def, value);
    if (problem) errors.push({ path: `custom_fields.${key}`, message: problem });
    else values[key] = value;
  }
  for (const def of definitions) {
    if (def.required && values[def.key] === undefined && !errors.some((e) => e.path === `custom_fields.${def.key}`)) {
      errors.push({ path: `custom_fields.${def.key}`, message: 'is required' });
    }
  }
  return { values, errors };
}
