// The CSV columns of a subscriber import and how a row becomes a SubscriberCreate input.
// Header cells are matched after normalising (lower case, runs of other characters → _),
// so "ZIP code", "zip_code" and "Zip-Code" are one column. Aliases cover Splynx customer
// exports and common spreadsheet headings; the README's "Subscriber import" lists them.
import type { customFields } from '../../../db/tenant/index.ts';
import { SubscriberCreate, type SubscriberCreateInput } from '../subscribers/subscriber-input.ts';
import { isCalendarDate } from '../subscribers/field-formats.ts';

export type RowError = { row: number | null; line: number; column: string | null; message: string };

type CellType = 'text' | 'integer' | 'decimal' | 'boolean' | 'kind' | 'gps';

type Field = { type: CellType; aliases: readonly string[]; path: readonly (string | number)[] };

const address = (kind: 'service' | 'billing', index: number, prefixAliases: Record<string, readonly string[]>) =>
  Object.fromEntries(
    (
      [
        ['line1', 'text'],
        ['line2', 'text'],
        ['city', 'text'],
        ['region', 'text'],
        ['postal_code', 'text'],
        ['country', 'text'],
        ['latitude', 'decimal'],
        ['longitude', 'decimal'],
      ] as const
    ).map(([name, type]) => [
      `${kind}_${name}`,
      { type, aliases: prefixAliases[name] ?? [], path: ['addresses', index, name] } satisfies Field,
    ]),
  );

/** Every column an import understands, by canonical name. */
export const importColumns: Record<string, Field> = {
  kind: { type: 'kind', aliases: ['category', 'type', 'customer_type'], path: ['kind'] },
  first_name: { type: 'text', aliases: ['firstname', 'given_name', 'forename'], path: ['first_name'] },
  last_name: { type: 'text', aliases: ['lastname', 'surname', 'family_name'], path: ['last_name'] },
  organization_name: {
    type: 'text',
    aliases: ['company', 'company_name', 'organization', 'organisation', 'organisation_name', 'business_name'],
    path: ['organization_name'],
  },
  display_name: { type: 'text', aliases: ['name', 'full_name', 'customer_name'], path: ['display_name'] },
  email: { type: 'text', aliases: ['e_mail', 'email_address', 'mail'], path: ['email'] },
  phone: { type: 'text', aliases: ['phone_number', 'mobile', 'mobile_phone', 'telephone', 'tel'], path: ['phone'] },
  locale: { type: 'text', aliases: ['language', 'lang'], path: ['locale'] },
  timezone: { type: 'text', aliases: ['time_zone', 'tz'], path: ['timezone'] },
  billing_day: { type: 'integer', aliases: [], path: ['billing_day'] },
  payment_due_days: { type: 'integer', aliases: ['payment_due', 'payment_period'], path: ['payment_due_days'] },
  grace_days: { type: 'integer', aliases: ['grace_period', 'grace_period_days'], path: ['grace_days'] },
  min_balance: { type: 'integer', aliases: ['minimum_balance'], path: ['min_balance'] },
  marketing_opt_in: { type: 'boolean', aliases: ['marketing', 'newsletter'], path: ['marketing_opt_in'] },
  notes: { type: 'text', aliases: ['note', 'comment', 'comments'], path: ['notes'] },
  ...address('service', 0, {
    line1: ['street', 'street_1', 'address', 'address_1', 'address_line_1', 'address1', 'line1'],
    line2: ['street_2', 'address_2', 'address_line_2', 'address2', 'line2'],
    city: ['city', 'town'],
    region: ['region', 'state', 'province', 'county'],
    postal_code: ['zip', 'zip_code', 'zipcode', 'postcode', 'post_code', 'postal_code'],
    country: ['country', 'country_code'],
    latitude: ['latitude', 'lat'],
    longitude: ['longitude', 'lng', 'lon'],
  }),
  service_gps: { type: 'gps', aliases: ['gps', 'coordinates'], path: ['addresses', 0] },
  ...address('billing', 1, {
    line1: ['billing_street', 'billing_street_1', 'billing_address'],
    line2: ['billing_street_2'],
    region: ['billing_state'],
    postal_code: ['billing_zip', 'billing_zip_code', 'billing_postcode'],
  }),
};

/** Without these, no row could produce a subscriber with a service address. */
const requiredColumns = ['service_line1', 'service_city', 'service_country'];
const nameColumns = ['first_name', 'last_name', 'organization_name', 'display_name'];

export const normalizeHeader = (cell: string) =>
  cell
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '_')
    .replace(/^_+|_+$/g, '');

const byName = new Map<string, string>();
for (const [name, field] of Object.entries(importColumns)) {
  byName.set(name, name);
  for (const alias of field.aliases) byName.set(alias, name);
}

type CustomDefinition = Pick<typeof customFields.$inferSelect, 'key' | 'type' | 'options' | 'required'>;

export type ImportHeader = {
  /** Per cell index: the canonical column, a custom field, or nothing (ignored). */
  cells: ({ kind: 'field'; name: string; field: Field } | { kind: 'custom'; definition: CustomDefinition } | null)[];
  written: string[];
  ignored: string[];
  errors: Omit<RowError, 'row' | 'line'>[];
  /** The header cell as written for a canonical column (for error reports). */
  columnOf: (name: string) => string | null;
  required: CustomDefinition[];
};

/**
 * Resolves the header row: each cell to a column, `custom.<key>` to the tenant's custom
 * field `key`. Two cells naming one column, an unknown custom field, or a missing
 * required column are errors of the file, reported once rather than on every row.
 */
export function importHeader(cells: string[], definitions: readonly CustomDefinition[]): ImportHeader {
  const errors: ImportHeader['errors'] = [];
  const seen = new Map<string, string>();
  const ignored: string[] = [];
  const customByKey = new Map(definitions.map((d) => [d.key, d]));
  const resolved = cells.map((cell): ImportHeader['cells'][number] => {
    const normalized = normalizeHeader(cell);
    if (normalized.startsWith('custom.')) {
      const key = normalized.slice('custom.'.length);
      const definition = customByKey.get(key);
      if (!definition) {
        errors.push({
          column: cell,
          message: `no custom field with key ${key}; define it first (settings → custom fields)`,
        });
        return null;
      }
      if (seen.has(normalized)) errors.push({ column: cell, message: `the same column as "${seen.get(normalized)}"` });
      seen.set(normalized, cell);
      return { kind: 'custom', definition };
    }
    const name = byName.get(normalized);
    if (!name) {
      if (cell.trim() !== '') ignored.push(cell);
      return null;
    }
    if (seen.has(name))
      errors.push({ column: cell, message: `the same column as "${seen.get(name)}" (both mean ${name})` });
    seen.set(name, cell);
    return { kind: 'field', name, field: importColumns[name]! };
  });
  for (const name of requiredColumns)
    if (!seen.has(name))
      errors.push({
        column: null,
        message: `a ${name} column is required (or one of: ${importColumns[name]!.aliases.join(', ')})`,
      });
  if (!nameColumns.some((n) => seen.has(n)))
    errors.push({ column: null, message: `a name column is required: one of ${nameColumns.join(', ')}` });
  if (seen.has('service_gps') && (seen.has('service_latitude') || seen.has('service_longitude'))) {
    errors.push({
      column: seen.get('service_gps')!,
      message: 'give coordinates either as gps or as latitude and longitude, not both',
    });
  }
  return {
    cells: resolved,
    written: cells,
    ignored,
    errors,
    columnOf: (name) => seen.get(name) ?? null,
    required: definitions.filter((d) => d.required),
  };
}

const booleans: Record<string, boolean> = {
  true: true,
  yes: true,
  y: true,
  '1': true,
  on: true,
  false: false,
  no: false,
  n: false,
  '0': false,
  off: false,
};
// Splynx customer categories and their equivalents here.
const kinds: Record<string, string> = {
  person: 'person',
  individual: 'person',
  private: 'person',
  organization: 'organization',
  organisation: 'organization',
  company: 'organization',
  business: 'organization',
};

type Converted = { ok: true; value: unknown } | { ok: false; message: string };

function convert(type: CellType, text: string): Converted {
  switch (type) {
    case 'text':
      return { ok: true, value: text };
    case 'integer':
      return /^[+-]?\d{1,15}$/.test(text)
        ? { ok: true, value: Number(text) }
        : { ok: false, message: 'must be a whole number' };
    case 'decimal': {
      const n = Number(text);
      return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) && Number.isFinite(n)
        ? { ok: true, value: n }
        : { ok: false, message: 'must be a decimal number such as 52.5163' };
    }
    case 'boolean': {
      const b = booleans[text.toLowerCase()];
      return b === undefined ? { ok: false, message: 'must be yes or no (true/false, 1/0)' } : { ok: true, value: b };
    }
    case 'kind':
      return { ok: true, value: kinds[text.toLowerCase()] ?? text };
    case 'gps': {
      const match = /^\s*([+-]?\d+(?:\.\d+)?)\s*[,; ]\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(text);
      return match
        ? { ok: true, value: [Number(match[1]), Number(match[2])] }
        : { ok: false, message: 'must be "latitude,longitude" such as 52.5163,13.3777' };
    }
  }
}

function convertCustom(definition: CustomDefinition, text: string): Converted {
  switch (definition.type) {
    case 'text':
      return { ok: true, value: text };
    case 'number': {
      const n = Number(text);
      return Number.isFinite(n) && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)
        ? { ok: true, value: n }
        : { ok: false, message: 'must be a number' };
    }
    case 'boolean':
      return convert('boolean', text);
    case 'date':
      return isCalendarDate(text) ? { ok: true, value: text } : { ok: false, message: 'must be a date YYYY-MM-DD' };
    case 'select':
      return (definition.options ?? []).includes(text)
        ? { ok: true, value: text }
        : { ok: false, message: `must be one of ${(definition.options ?? []).join(', ')}` };
  }
}

export type ImportedSubscriber = SubscriberCreateInput & { row: number; line: number };

/** A person known only by a full name (Splynx keeps one "name"): the last word is the last name. */
function splitFullName(name: string): { first_name?: string; last_name: string } {
  const words = name.trim().split(/\s+/);
  const last = words.pop()!;
  return words.length ? { first_name: words.join(' '), last_name: last } : { last_name: last };
}

/** One data row → a validated SubscriberCreate input, or every problem of the row. */
export function rowToInput(
  header: ImportHeader,
  cells: string[],
  at: { row: number; line: number },
): { ok: true; subscriber: ImportedSubscriber } | { ok: false; errors: RowError[] } {
  const errors: RowError[] = [];
  const fail = (column: string | null, message: string) => errors.push({ row: at.row, line: at.line, column, message });
  if (cells.length > header.written.length) {
    fail(null, `the row has ${cells.length} cells but the header only ${header.written.length}`);
    return { ok: false, errors };
  }
  const top: Record<string, unknown> = {};
  const addresses: Record<string, unknown>[] = [
    { kind: 'service', is_primary: true },
    { kind: 'billing', is_primary: true },
  ];
  const custom: Record<string, unknown> = {};
  const columnOfPath = new Map<string, string>();
  header.cells.forEach((target, i) => {
    const text = (cells[i] ?? '').trim();
    if (!target || text === '') return;
    const column = header.written[i]!;
    if (target.kind === 'custom') {
      const converted = convertCustom(target.definition, text);
      if (converted.ok) custom[target.definition.key] = converted.value;
      else fail(column, converted.message);
      columnOfPath.set(`custom_fields.${target.definition.key}`, column);
      return;
    }
    const converted = convert(target.field.type, text);
    if (!converted.ok) {
      fail(column, converted.message);
      return;
    }
    const [head, index, leaf] = target.field.path;
    if (head === 'addresses') {
      const addressIndex = index as number;
      if (target.field.type === 'gps') {
        const [latitude, longitude] = converted.value as [number, number];
        Object.assign(addresses[addressIndex]!, { latitude, longitude });
        columnOfPath.set(`addresses.${addressIndex}.latitude`, column);
        columnOfPath.set(`addresses.${addressIndex}.longitude`, column);
      } else {
        addresses[addressIndex]![leaf as string] = converted.value;
        columnOfPath.set(`addresses.${addressIndex}.${String(leaf)}`, column);
      }
    } else {
      top[head as string] = converted.value;
      columnOfPath.set(String(head), column);
    }
  });
  for (const definition of header.required) {
    if (
      custom[definition.key] === undefined &&
      !errors.some((e) => e.column === columnOfPath.get(`custom_fields.${definition.key}`))
    ) {
      fail(columnOfPath.get(`custom_fields.${definition.key}`) ?? `custom.${definition.key}`, 'is required');
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  if (typeof top.display_name === 'string' && !top.first_name && !top.last_name && !top.organization_name) {
    if (top.kind === 'organization') top.organization_name = top.display_name;
    else Object.assign(top, splitFullName(top.display_name));
  }
  // The billing address is optional: only a row that fills any billing cell has one.
  const hasBilling = Object.keys(addresses[1]!).length > 2;
  const input = { ...top, custom_fields: custom, addresses: hasBilling ? addresses : addresses.slice(0, 1) };
  const parsed = SubscriberCreate.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      const column = columnOfPath.get(path) ?? header.columnOf(canonicalOf(path)) ?? canonicalOf(path);
      fail(column, issue.message);
    }
    return { ok: false, errors };
  }
  return { ok: true, subscriber: { ...parsed.data, row: at.row, line: at.line } };
}

/** The canonical column a SubscriberCreate path comes from (addresses.0.city → service_city). */
function canonicalOf(path: string): string {
  const match = /^addresses\.(\d+)\.(\w+)$/.exec(path);
  if (match) return `${match[1] === '0' ? 'service' : 'billing'}_${match[2]}`;
  return path === '' ? '(row)' : path;
}
