// The subscribers_fts index (migration 0005): one contentless FTS5 row per subscriber,
// rowid = subscribers.seq, rewritten in the transaction of every change to what it covers.
import { eq, sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { subscriberAddresses, subscriberContacts, subscribers } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';

/** Every suffix of at least four digits: a prefix query then matches any run of digits
 * inside the number, so "555 123" finds +1 (555) 123-4567 whatever its formatting. */
const digitSuffixes = (value: string) => {
  const digits = value.replace(/\D/g, '');
  const out: string[] = [];
  for (let i = 0; i <= digits.length - 4; i++) out.push(digits.slice(i));
  return out;
};

type SearchedSubscriber = Pick<
  typeof subscribers.$inferSelect,
  'number' | 'displayName' | 'firstName' | 'lastName' | 'organizationName' | 'email' | 'phone'
>;
type SearchedAddress = Pick<
  typeof subscriberAddresses.$inferSelect,
  'line1' | 'line2' | 'city' | 'region' | 'postalCode' | 'country'
>;
type SearchedContact = Pick<typeof subscriberContacts.$inferSelect, 'channel' | 'value'>;

/** The subscribers_fts body: the words a search finds the subscriber by. Pure, so the
 * CSV import builds it from memory for its multi-row INSERTs. */
export function searchBody(
  s: SearchedSubscriber,
  addresses: readonly SearchedAddress[],
  contacts: readonly SearchedContact[],
): string {
  return [
    s.number,
    s.displayName,
    s.firstName,
    s.lastName,
    s.organizationName,
    s.email,
    ...(s.phone ? digitSuffixes(s.phone) : []),
    ...contacts.flatMap((c) => (c.channel === 'email' ? [c.value] : digitSuffixes(c.value))),
    ...addresses.flatMap((a) => [a.line1, a.line2, a.city, a.region, a.postalCode, a.country]),
  ]
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .join(' ');
}

/** Rewrites the subscriber's search row from its current record, addresses and contacts. */
export async function indexSubscriber(db: TenantTx, subscriberId: string): Promise<void> {
  const [s] = await db.select().from(subscribers).where(eq(subscribers.id, subscriberId));
  if (!s) return;
  const addresses = await db.select().from(subscriberAddresses).where(eq(subscriberAddresses.subscriberId, s.id));
  const contacts = await db.select().from(subscriberContacts).where(eq(subscriberContacts.subscriberId, s.id));
  const body = searchBody(s, addresses, contacts);
  await db.run(sql`DELETE FROM subscribers_fts WHERE rowid = ${s.seq}`);
  await db.run(sql`INSERT INTO subscribers_fts (rowid, body) VALUES (${s.seq}, ${body})`);
}

/** The search row of a subscriber created in this transaction, from what it just wrote
 * (a new subscriber has no contacts and no row to replace). */
export async function indexNewSubscriber(
  db: TenantTx,
  s: typeof subscribers.$inferSelect,
  addresses: readonly SearchedAddress[],
): Promise<void> {
  await db.run(sql`INSERT INTO subscribers_fts (rowid, body) VALUES (${s.seq}, ${searchBody(s, addresses, [])})`);
}

/**
 * A contentless-delete FTS5 table marks deleted rows with tombstones; their tokens stay
 * in the index segments until a merge. 'optimize' merges every segment now, so an
 * erased subscriber's words are really gone. It rewrites the whole index (a few MB at
 * 100k subscribers): fine for a rare GDPR erase, too costly for ordinary updates.
 */
export async function purgeDeletedSearchText(db: TenantTx): Promise<void> {
  await db.run(sql`INSERT INTO subscribers_fts (subscribers_fts) VALUES ('optimize')`);
}

/**
 * An FTS5 MATCH expression for what a person typed: every word must occur as a prefix
 * of an indexed token (type-ahead). Input that is only digits and phone punctuation is
 * one digit run. Each term is quoted, so FTS5 operators in the input are plain text.
 * Null when nothing searchable remains.
 */
export function matchExpression(q: string): string | null {
  if (/^[\d\s()+.-]+$/.test(q)) {
    const digits = q.replace(/\D/g, '');
    return digits ? `"${digits}"*` : null;
  }
  const terms = q
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 8);
  return terms.length ? terms.map((t) => `"${t}"*`).join(' ') : null;
}

// For queries only: the virtual table is created by a custom migration, so it stays out
// of the schema that drizzle-kit diffs (db/tenant/index.ts).
export const subscribersFts = sqliteTable('subscribers_fts', { rowid: integer('rowid').notNull(), body: text('body') });

export const matches = (expression: string) => sql`${subscribersFts} MATCH ${expression}`;
