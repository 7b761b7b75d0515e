import { and, desc, eq, gte, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import {
  subscribers,
  subscriberAddresses,
  subscriberContacts,
  subscriberTags,
  tags,
  type SubscriberKind,
  type SubscriberStatus,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { assertTaxRateUsable } from '../catalog/catalog-store.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { nextDocumentNumber } from '../numbering/next-document-number.ts';
import { encodeCursor, pageOf } from '../page-of.ts';
import { auditSubscriber } from './audit-subscriber.ts';
import { resolveCustomFieldValues } from './custom-field-values.ts';
import { findSubscriber, findWritableSubscriber, subscriberNotFound } from './find-subscriber.ts';
import { addressKey, insertNewSubscriberAddresses } from './manage-addresses.ts';
import { contactKey } from './manage-contacts.ts';
import { assertMayChangeMoneyTerms, moneyTerms, nonDefaultMoneyTerms, type MoneyTerm } from './money-terms.ts';
import { presentAddress, presentContact, presentSubscriber, presentTag } from './present.ts';
import { rowJson } from './row-json.ts';
import { indexNewSubscriber, indexSubscriber, matchExpression, matches, subscribersFts } from './search-index.ts';
import { assertSubscriberCapacity } from './subscriber-limit.ts';
import { nameIssues, type SubscriberCreateInput, type SubscriberPatchInput } from './subscriber-input.ts';
import { derivedDisplayName, subscriberRow } from './subscriber-rows.ts';

export {
  SubscriberCreate,
  SubscriberPatch,
  type SubscriberCreateInput,
  type SubscriberPatchInput,
} from './subscriber-input.ts';

const invalid = (errors: FieldError[]) =>
  new AppError('validation_failed', `${errors.length} field(s) failed validation`, { errors });

async function assertEmailFree(tx: TenantTx, email: string, except?: string) {
  const [clash] = await tx.select({ id: subscribers.id }).from(subscribers).where(eq(subscribers.email, email));
  if (clash && clash.id !== except)
    throw new AppError('conflict', `a subscriber with email ${email} already exists`, {
      errors: [{ path: 'email', message: 'already used by another subscriber' }],
    });
}

/** Persons may belong to an organization: a live subscriber of kind organization. */
async function organizationIssues(tx: TenantTx, kind: SubscriberKind, organizationId: string): Promise<FieldError[]> {
  if (kind !== 'person') return [{ path: 'organization_id', message: 'only persons belong to an organization' }];
  const [org] = await tx
    .select({ kind: subscribers.kind, erasedAt: subscribers.erasedAt })
    .from(subscribers)
    .where(eq(subscribers.id, organizationId));
  return org?.kind === 'organization' && !org.erasedAt
    ? []
    : [{ path: 'organization_id', message: 'no organization with this id' }];
}

/**
 * Creates a subscriber inside the caller's transaction: validates what zod cannot
 * (custom fields, the organization, email uniqueness), takes the next SUB- number,
 * writes the record, its addresses and its search row, audits and records
 * `subscriber.created`. Lead conversion calls this with its own transaction, so a
 * failure after it rolls the number back too. Returns the row and its addresses as
 * written: a new subscriber has nothing else to read back.
 */
export async function insertSubscriber(tx: TenantTx, ctx: TenantContext, input: SubscriberCreateInput) {
  assertMayChangeMoneyTerms(ctx, nonDefaultMoneyTerms(input));
  const { values, errors } = await resolveCustomFieldValues(tx, {}, input.custom_fields);
  if (input.organization_id) errors.push(...(await organizationIssues(tx, input.kind, input.organization_id)));
  if (errors.length) throw invalid(errors);
  if (input.tax_rate_id) await assertTaxRateUsable(tx, input.tax_rate_id, 'tax_rate_id');
  for (const [i, address] of input.addresses.entries())
    if (address.tax_rate_id) await assertTaxRateUsable(tx, address.tax_rate_id, `addresses.${i}.tax_rate_id`);
  if (input.email) await assertEmailFree(tx, input.email);
  await assertSubscriberCapacity(ctx, tx);
  const now = new Date(ctx.platform.now());
  const number = await nextDocumentNumber(tx, 'SUB');
  const [row] = await tx
    .insert(subscribers)
    .values(subscriberRow(input, { id: uuidv7(now.getTime()), number, customFields: values, now }))
    .returning();
  const addressRows = await insertNewSubscriberAddresses(tx, row!.id, input.addresses, now);
  await indexNewSubscriber(tx, row!, addressRows);
  const { addresses, ...fields } = input;
  await auditSubscriber(
    tx,
    ctx,
    row!.id,
    'created',
    { ...fields, subscriber_number: number, addresses: addresses.length },
    {
      type: 'subscriber.created',
      payload: { subscriber_number: number, kind: row!.kind, status: row!.status },
    },
  );
  return { row: row!, addresses: addressRows };
}

type AddressRow = typeof subscriberAddresses.$inferSelect;
type ContactRow = typeof subscriberContacts.$inferSelect;
type TagRow = typeof tags.$inferSelect;

// SQLite's BINARY collation orders UTF-8 bytes, which is code point order; JS's `<` orders
// UTF-16 code units, which differs past U+FFFF.
function compareText(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}
const byTime = (a: Date, b: Date) => a.getTime() - b.getTime();

/** The detail reply, its parts in the order they were always listed in: addresses by
 * kind, created_at, id; contacts by created_at, id; tags by name. */
/**
 * At most this many of each nested list ride on the subscriber (issue 13 "nested lists
 * paged"); `*_next_cursor` continues them on GET …/{id}/addresses, /contacts or /tags.
 */
export const embeddedPerList = 50;

const presentDetail = (
  row: typeof subscribers.$inferSelect,
  addresses: AddressRow[],
  contacts: ContactRow[],
  tagRows: TagRow[],
) => {
  const first = <R, T>(rows: R[], compare: (a: R, b: R) => number, present: (row: R) => T, key: (row: R) => string) =>
    pageOf(rows.toSorted(compare), embeddedPerList, present, key);
  const a = first(
    addresses,
    (a, b) => compareText(a.kind, b.kind) || byTime(a.createdAt, b.createdAt) || compareText(a.id, b.id),
    presentAddress,
    addressKey,
  );
  const c = first(
    contacts,
    (a, b) => byTime(a.createdAt, b.createdAt) || compareText(a.id, b.id),
    presentContact,
    contactKey,
  );
  const t = first(
    tagRows,
    (a, b) => compareText(a.nameKey, b.nameKey),
    presentTag,
    (tag) => tag.nameKey,
  );
  return {
    ...presentSubscriber(row),
    addresses: a.data,
    addresses_next_cursor: a.next_cursor,
    contacts: c.data,
    contacts_next_cursor: c.next_cursor,
    tags: t.data,
    tags_next_cursor: t.next_cursor,
  };
};

const subscriberJson = rowJson(subscribers);
const addressJson = rowJson(subscriberAddresses);
const contactJson = rowJson(subscriberContacts);
const tagJson = rowJson(tags);
// Inside sql`` drizzle names columns without their table, so the correlation to the outer
// row is spelled out, and each subquery reads one table (subscriber_tags and tags share
// column names). The parts are ordered in presentDetail: sqld's parser refuses an
// aggregate ORDER BY, and the order of rows fed to an aggregate is not defined.
// Each part reads the first embeddedPerList + 1 rows in its list's order (an inner query
// under its own alias picks them; the one past the bound says that more follow).
const outerId = sql`${subscribers}.${sql.identifier('id')}`;
const take = sql.raw(String(embeddedPerList + 1));
const detailColumns = {
  row: subscriberJson.object,
  addresses: sql<string>`(SELECT json_group_array(${addressJson.object}) FROM ${subscriberAddresses}
    WHERE ${subscriberAddresses.id} IN (SELECT n.id FROM subscriber_addresses n WHERE n.subscriber_id = ${outerId}
      ORDER BY n.kind, n.created_at, n.id LIMIT ${take}))`,
  contacts: sql<string>`(SELECT json_group_array(${contactJson.object}) FROM ${subscriberContacts}
    WHERE ${subscriberContacts.id} IN (SELECT n.id FROM subscriber_contacts n WHERE n.subscriber_id = ${outerId}
      ORDER BY n.created_at, n.id LIMIT ${take}))`,
  tags: sql<string>`(SELECT json_group_array(${tagJson.object}) FROM ${tags}
    WHERE ${tags.id} IN (SELECT n.tag_id FROM subscriber_tags n JOIN tags t ON t.id = n.tag_id
      WHERE n.subscriber_id = ${outerId} ORDER BY t.name_key LIMIT ${take}))`,
};

type DetailRow = { row: string; addresses: string; contacts: string; tags: string };

function presentDetailRow(found: DetailRow | undefined, id: string) {
  if (!found) throw subscriberNotFound(id);
  const list = <T>(text: string, fromJson: (values: Record<string, unknown>) => T) =>
    (JSON.parse(text) as Record<string, unknown>[]).map(fromJson);
  return presentDetail(
    subscriberJson.fromJson(JSON.parse(found.row) as Record<string, unknown>),
    list(found.addresses, addressJson.fromJson),
    list(found.contacts, contactJson.fromJson),
    list(found.tags, tagJson.fromJson),
  );
}

/** A subscriber (archived ones too) with its addresses, contacts and tags, in one statement; or a 404. */
async function detail(db: TenantTx, id: string) {
  const [found] = await db.select(detailColumns).from(subscribers).where(eq(subscribers.id, id));
  return presentDetailRow(found, id);
}

// The detail read outside a transaction, its statement built once per database: drizzle
// spends longer assembling this statement (JSON of four tables) than SQLite runs it.
// Only for ctx.db: a prepared query runs on the database it was made for, never on a
// transaction.
const prepareDetail = (db: TenantTx) =>
  db
    .select(detailColumns)
    .from(subscribers)
    .where(eq(subscribers.id, sql.placeholder('id')))
    .prepare();
const preparedDetails = new WeakMap<TenantTx, ReturnType<typeof prepareDetail>>();

export async function createSubscriber({ ctx, input }: { ctx: TenantContext; input: SubscriberCreateInput }) {
  return ctx.db.transaction(async (tx) => {
    const { row, addresses } = await insertSubscriber(tx, ctx, input);
    return presentDetail(row, addresses, [], []);
  });
}

export async function getSubscriber({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  let prepared = preparedDetails.get(ctx.db);
  if (!prepared) preparedDetails.set(ctx.db, (prepared = prepareDetail(ctx.db)));
  const [found] = await prepared.all({ id: input.id });
  return presentDetailRow(found, input.id);
}

export type SubscriberFilter = {
  q?: string | undefined;
  status?: SubscriberStatus | undefined;
  kind?: SubscriberKind | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
  city?: string | undefined;
  tag?: string | undefined;
  organization_id?: string | undefined;
  archived?: 'exclude' | 'include' | 'only' | undefined;
};

// The sort key is the (created_at, id) of the last row returned, as JSON; the route hands
// it over decoded from the opaque cursor (page-of.ts).
const cursorOf = (row: { createdAt: Date; id: string }) =>
  encodeCursor(JSON.stringify([row.createdAt.getTime(), row.id]));
function sortKeyOf(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(cursor);
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string')
      return [value[0] as number, value[1]];
  } catch {
    // Falls through to the validation error below.
  }
  throw invalid([{ path: 'cursor', message: 'not a cursor this API returned' }]);
}

/**
 * The filters on the subscribers row itself. The cursor is a row-value comparison, so the
 * index (…, created_at, id) seeks to it instead of walking every newer row.
 */
function conditions(f: SubscriberFilter, after: [number, string] | undefined): SQL | undefined {
  const archived = f.archived ?? 'exclude';
  return and(
    archived === 'exclude'
      ? isNull(subscribers.archivedAt)
      : archived === 'only'
        ? isNotNull(subscribers.archivedAt)
        : undefined,
    f.status ? eq(subscribers.status, f.status) : undefined,
    f.kind ? eq(subscribers.kind, f.kind) : undefined,
    f.created_from ? gte(subscribers.createdAt, new Date(f.created_from)) : undefined,
    f.created_to ? lt(subscribers.createdAt, new Date(f.created_to)) : undefined,
    f.organization_id ? eq(subscribers.organizationId, f.organization_id) : undefined,
    after ? sql`(${subscribers.createdAt}, ${subscribers.id}) < (${after[0]}, ${after[1]})` : undefined,
  );
}

// A page's rows come back as one JSON text each (see rowJson).
const subscriberFromJson = (text: string) => subscriberJson.fromJson(JSON.parse(text) as Record<string, unknown>);

/**
 * Newest first, (created_at, id) descending; the filters of a list view. Each kind of
 * list is driven by the index that holds its rows in page order, so a page (first or
 * deep) reads about `limit` index entries:
 * - a search starts from the FTS index (CROSS JOIN fixes that loop order in SQLite) and
 *   looks each hit up by seq;
 * - a city or tag filter walks subscriber_addresses_city / subscriber_tags_tag, whose
 *   entries end in subscriber_id. Ids are UUIDv7 of created_at (insertSubscriber and the
 *   import take both from one instant), so subscriber_id order is (created_at, id) order;
 * - otherwise subscribers_live_created, subscribers_live_status_created (live rows, the
 *   default) or subscribers_created / subscribers_status_created (archived included).
 */
export async function listSubscriberRows(
  db: TenantTx,
  input: SubscriberFilter & { limit: number; cursor?: string | undefined },
) {
  const after = input.cursor === undefined ? undefined : sortKeyOf(input.cursor);
  const take = input.limit + 1;
  const select = db.select({ row: subscriberJson.object });
  let rows: { row: string }[];
  if (input.q !== undefined) {
    const expression = matchExpression(input.q);
    if (expression === null) return { rows: [], next_cursor: null };
    rows = await select
      .from(subscribersFts)
      .crossJoin(subscribers)
      .where(
        and(
          matches(expression),
          eq(subscribers.seq, subscribersFts.rowid),
          conditions(input, after),
          cityCondition(input.city),
          tagCondition(input.tag),
        ),
      )
      .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
      .limit(take);
  } else if (input.city !== undefined) {
    rows = await select
      .from(subscriberAddresses)
      .crossJoin(subscribers)
      .where(
        and(
          sql`lower(${subscriberAddresses.city}) = lower(${input.city})`,
          after ? lt(subscriberAddresses.subscriberId, after[1]) : undefined,
          eq(subscribers.id, subscriberAddresses.subscriberId),
          conditions(input, after),
          tagCondition(input.tag),
        ),
      )
      // Two addresses in one city are one subscriber.
      .groupBy(subscriberAddresses.subscriberId)
      .orderBy(desc(subscriberAddresses.subscriberId))
      .limit(take);
  } else if (input.tag !== undefined) {
    rows = await select
      .from(subscriberTags)
      .crossJoin(subscribers)
      .where(
        and(
          eq(subscriberTags.tagId, input.tag),
          after ? lt(subscriberTags.subscriberId, after[1]) : undefined,
          eq(subscribers.id, subscriberTags.subscriberId),
          conditions(input, after),
        ),
      )
      .orderBy(desc(subscriberTags.subscriberId))
      .limit(take);
  } else {
    rows = await select
      .from(subscribers)
      .where(conditions(input, after))
      .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
      .limit(take);
  }
  const page = rows.slice(0, input.limit).map((r) => subscriberFromJson(r.row));
  return { rows: page, next_cursor: rows.length > input.limit ? cursorOf(page.at(-1)!) : null };
}

const cityCondition = (city: string | undefined) =>
  city === undefined
    ? undefined
    : sql`${subscribers.id} IN (SELECT subscriber_id FROM subscriber_addresses WHERE lower(city) = lower(${city}))`;
const tagCondition = (tag: string | undefined) =>
  tag === undefined
    ? undefined
    : sql`${subscribers.id} IN (SELECT subscriber_id FROM subscriber_tags WHERE tag_id = ${tag})`;

export async function listSubscribers({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: SubscriberFilter & { limit: number; cursor?: string | undefined };
}) {
  const { rows, next_cursor } = await listSubscriberRows(ctx.db, input);
  return { data: rows.map(presentSubscriber), next_cursor };
}

export async function updateSubscriber({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: SubscriberPatchInput };
}) {
  const { patch } = input;
  return ctx.db.transaction(async (tx) => {
    const row = await findWritableSubscriber(tx, input.id);
    const pick = <T>(value: T | null | undefined, current: T | null) => (value === undefined ? current : value);
    const names = {
      firstName: pick(patch.first_name, row.firstName),
      lastName: pick(patch.last_name, row.lastName),
      organizationName: pick(patch.organization_name, row.organizationName),
    };
    const errors: FieldError[] = nameIssues({
      kind: row.kind,
      first_name: names.firstName,
      last_name: names.lastName,
      organization_name: names.organizationName,
    }).map((i) => ({
      path: i.path.join('.'),
      message: i.message,
    }));
    let customFields = row.customFields;
    if (patch.custom_fields) {
      const resolved = await resolveCustomFieldValues(tx, row.customFields, patch.custom_fields);
      errors.push(...resolved.errors);
      customFields = resolved.values;
    }
    if (patch.organization_id) {
      if (patch.organization_id === row.id)
        errors.push({ path: 'organization_id', message: 'a subscriber cannot belong to itself' });
      else errors.push(...(await organizationIssues(tx, row.kind, patch.organization_id)));
    }
    if (errors.length) throw invalid(errors);
    if (patch.email && patch.email !== row.email) await assertEmailFree(tx, patch.email, row.id);
    if (patch.tax_rate_id && patch.tax_rate_id !== row.taxRateId)
      await assertTaxRateUsable(tx, patch.tax_rate_id, 'tax_rate_id');

    // A display name that was derived from the names follows them; one set by hand stays.
    const wasDerived = row.displayName === derivedDisplayName(row.kind, row);
    const displayName =
      patch.display_name ??
      (patch.display_name === null || wasDerived ? derivedDisplayName(row.kind, names) : row.displayName);
    const next = {
      ...names,
      displayName,
      email: pick(patch.email, row.email),
      phone: pick(patch.phone, row.phone),
      locale: pick(patch.locale, row.locale),
      timezone: pick(patch.timezone, row.timezone),
      organizationId: pick(patch.organization_id, row.organizationId),
      billingDay: pick(patch.billing_day, row.billingDay),
      paymentDueDays: patch.payment_due_days ?? row.paymentDueDays,
      graceDays: patch.grace_days ?? row.graceDays,
      minBalance: patch.min_balance ?? row.minBalance,
      taxRateId: pick(patch.tax_rate_id, row.taxRateId),
      marketingOptIn: patch.marketing_opt_in ?? row.marketingOptIn,
      notes: pick(patch.notes, row.notes),
      customFields,
    };
    const apiNames: Record<keyof typeof next, string> = {
      firstName: 'first_name',
      lastName: 'last_name',
      organizationName: 'organization_name',
      displayName: 'display_name',
      email: 'email',
      phone: 'phone',
      locale: 'locale',
      timezone: 'timezone',
      organizationId: 'organization_id',
      billingDay: 'billing_day',
      paymentDueDays: 'payment_due_days',
      graceDays: 'grace_days',
      minBalance: 'min_balance',
      taxRateId: 'tax_rate_id',
      marketingOptIn: 'marketing_opt_in',
      notes: 'notes',
      customFields: 'custom_fields',
    };
    const changes: Record<string, unknown> = {};
    for (const key of Object.keys(next) as (keyof typeof next)[]) {
      if (JSON.stringify(next[key]) !== JSON.stringify(row[key])) changes[apiNames[key]] = next[key];
    }
    if (Object.keys(changes).length === 0) return detail(tx, row.id);
    assertMayChangeMoneyTerms(
      ctx,
      moneyTerms.filter((field: MoneyTerm) => field in changes),
    );
    const [updated] = await tx
      .update(subscribers)
      .set({ ...next, updatedAt: new Date(ctx.platform.now()) })
      .where(eq(subscribers.id, row.id))
      .returning();
    await indexSubscriber(tx, row.id);
    await auditSubscriber(tx, ctx, row.id, 'updated', changes, {
      type: 'subscriber.updated',
      payload: { fields: Object.keys(changes), status: updated!.status },
    });
    return detail(tx, updated!.id);
  });
}

/** DELETE: hides the subscriber from lists; nothing is removed, and restore brings it back. */
export async function archiveSubscriber({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const row = await findSubscriber(tx, input.id);
    if (row.archivedAt) return;
    const now = new Date(ctx.platform.now());
    await tx.update(subscribers).set({ archivedAt: now, updatedAt: now }).where(eq(subscribers.id, row.id));
    await auditSubscriber(
      tx,
      ctx,
      row.id,
      'archived',
      {},
      { type: 'subscriber.archived', payload: { subscriber_number: row.number } },
    );
  });
}

export async function restoreSubscriber({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscriber(tx, input.id);
    if (!row.archivedAt) return detail(tx, row.id);
    await assertSubscriberCapacity(ctx, tx);
    const [restored] = await tx
      .update(subscribers)
      .set({ archivedAt: null, updatedAt: new Date(ctx.platform.now()) })
      .where(eq(subscribers.id, row.id))
      .returning();
    await auditSubscriber(
      tx,
      ctx,
      row.id,
      'restored',
      {},
      { type: 'subscriber.restored', payload: { subscriber_number: row.number } },
    );
    return detail(tx, restored!.id);
  });
}

/** The persons that belong to an organization. */
export async function listMembers({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  const org = await findSubscriber(ctx.db, input.id);
  if (org.kind !== 'organization') throw new AppError('not_found', `subscriber ${input.id} is not an organization`);
  return listSubscribers({ ctx, input: { ...input, organization_id: org.id, archived: 'include' } });
}
