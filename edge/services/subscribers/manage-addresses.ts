import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { subscriberAddresses, type AddressKind } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { assertTaxRateUsable } from '../catalog/catalog-store.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { auditSubscriber } from './audit-subscriber.ts';
import { findWritableSubscriber, findSubscriber } from './find-subscriber.ts';
import { presentAddress } from './present.ts';
import { indexSubscriber } from './search-index.ts';
import { pageOf, tupleKey, tupleOf } from '../page-of.ts';
import { addressRow } from './subscriber-rows.ts';
import type { AddressCreateInput, AddressPatchInput } from './subscriber-input.ts';

const demotePrimary = (tx: TenantTx, subscriberId: string, kind: AddressKind, except: string, now: Date) =>
  tx
    .update(subscriberAddresses)
    .set({ isPrimary: false, updatedAt: now })
    .where(
      and(
        eq(subscriberAddresses.subscriberId, subscriberId),
        eq(subscriberAddresses.kind, kind),
        eq(subscriberAddresses.isPrimary, true),
        ne(subscriberAddresses.id, except),
      ),
    );

const hasPrimary = async (tx: TenantTx, subscriberId: string, kind: AddressKind) =>
  (
    await tx
      .select({ id: subscriberAddresses.id })
      .from(subscriberAddresses)
      .where(
        and(
          eq(subscriberAddresses.subscriberId, subscriberId),
          eq(subscriberAddresses.kind, kind),
          eq(subscriberAddresses.isPrimary, true),
        ),
      )
  ).length > 0;

/**
 * Adds an address row (no audit, no search refresh: the caller does both once). The
 * first address of a kind becomes its primary; a new primary demotes the old one.
 */
export async function insertAddressRow(tx: TenantTx, subscriberId: string, input: AddressCreateInput, now: Date) {
  const id = uuidv7(now.getTime());
  const isPrimary = input.is_primary || !(await hasPrimary(tx, subscriberId, input.kind));
  if (isPrimary) await demotePrimary(tx, subscriberId, input.kind, id, now);
  const [row] = await tx
    .insert(subscriberAddresses)
    .values(addressRow(subscriberId, input, { id, isPrimary, now }))
    .returning();
  return row!;
}

/**
 * The addresses of a subscriber created in the same transaction, in one INSERT. With no
 * rows before them, the primaries follow from the list alone, as insertAddressRow would
 * leave them one by one: the first of each kind, unless a later one is marked primary.
 */
export async function insertNewSubscriberAddresses(
  tx: TenantTx,
  subscriberId: string,
  inputs: readonly AddressCreateInput[],
  now: Date,
) {
  if (inputs.length === 0) return [];
  const primaryOf = new Map<AddressKind, number>();
  inputs.forEach((input, i) => {
    if (input.is_primary || !primaryOf.has(input.kind)) primaryOf.set(input.kind, i);
  });
  const rows = inputs.map((input, i) =>
    addressRow(subscriberId, input, { id: uuidv7(now.getTime()), isPrimary: primaryOf.get(input.kind) === i, now }),
  );
  return tx.insert(subscriberAddresses).values(rows).returning();
}

/** The order of a subscriber's addresses, in the list and embedded in the subscriber: kind, then oldest first. */
export const addressOrder = [subscriberAddresses.kind, subscriberAddresses.createdAt, subscriberAddresses.id];
export const addressKey = (a: { kind: string; createdAt: Date; id: string }) =>
  tupleKey([a.kind, a.createdAt.getTime(), a.id]);

/** A page of a subscriber's addresses (kind, created_at, id ascending); the cursor is the last one's key. */
export async function listAddresses({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  const after = input.cursor === undefined ? undefined : tupleOf(input.cursor, ['string', 'number', 'string']);
  await findSubscriber(ctx.db, input.id);
  const rows = await ctx.db
    .select()
    .from(subscriberAddresses)
    .where(
      and(
        eq(subscriberAddresses.subscriberId, input.id),
        after ? sql`(${sql.join(addressOrder, sql`, `)}) > (${after[0]}, ${after[1]}, ${after[2]})` : undefined,
      ),
    )
    .orderBy(...addressOrder.map((column) => asc(column)))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentAddress, addressKey);
}

export async function addAddress({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; address: AddressCreateInput };
}) {
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findWritableSubscriber(tx, input.id);
    if (input.address.tax_rate_id) await assertTaxRateUsable(tx, input.address.tax_rate_id, 'tax_rate_id');
    const row = await insertAddressRow(tx, subscriber.id, input.address, new Date(ctx.platform.now()));
    await indexSubscriber(tx, subscriber.id);
    await auditSubscriber(tx, ctx, subscriber.id, 'address_added', {
      address_id: row.id,
      kind: row.kind,
      is_primary: row.isPrimary,
      country: row.country,
    });
    return presentAddress(row);
  });
}

const findAddress = async (tx: TenantTx, subscriberId: string, addressId: string) => {
  const [row] = await tx
    .select()
    .from(subscriberAddresses)
    .where(and(eq(subscriberAddresses.id, addressId), eq(subscriberAddresses.subscriberId, subscriberId)));
  if (!row) throw new AppError('not_found', `no address ${addressId} on subscriber ${subscriberId}`);
  return row;
};

export async function updateAddress({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; addressId: string; patch: AddressPatchInput };
}) {
  const { patch } = input;
  return ctx.db.transaction(async (tx) => {
    await findWritableSubscriber(tx, input.id);
    const row = await findAddress(tx, input.id, input.addressId);
    const latitude = patch.latitude !== undefined ? patch.latitude : row.latitude;
    const longitude = patch.longitude !== undefined ? patch.longitude : row.longitude;
    if ((latitude === null) !== (longitude === null)) {
      throw new AppError('validation_failed', 'latitude and longitude come together', {
        errors: [
          { path: latitude === null ? 'latitude' : 'longitude', message: 'latitude and longitude come together' },
        ],
      });
    }
    if (patch.tax_rate_id && patch.tax_rate_id !== row.taxRateId)
      await assertTaxRateUsable(tx, patch.tax_rate_id, 'tax_rate_id');
    const now = new Date(ctx.platform.now());
    const kind = patch.kind ?? row.kind;
    const isPrimary =
      patch.is_primary ??
      (patch.kind && patch.kind !== row.kind ? !(await hasPrimary(tx, row.subscriberId, kind)) : row.isPrimary);
    if (isPrimary) await demotePrimary(tx, row.subscriberId, kind, row.id, now);
    const set = {
      kind,
      isPrimary,
      ...(patch.line1 !== undefined ? { line1: patch.line1 } : {}),
      ...(patch.line2 !== undefined ? { line2: patch.line2 } : {}),
      ...(patch.city !== undefined ? { city: patch.city } : {}),
      ...(patch.region !== undefined ? { region: patch.region } : {}),
      ...(patch.postal_code !== undefined ? { postalCode: patch.postal_code } : {}),
      ...(patch.country !== undefined ? { country: patch.country } : {}),
      ...(patch.tax_rate_id !== undefined ? { taxRateId: patch.tax_rate_id } : {}),
      latitude,
      longitude,
      updatedAt: now,
    };
    const [updated] = await tx
      .update(subscriberAddresses)
      .set(set)
      .where(eq(subscriberAddresses.id, row.id))
      .returning();
    await indexSubscriber(tx, row.subscriberId);
    await auditSubscriber(tx, ctx, row.subscriberId, 'address_updated', { address_id: row.id, ...patch });
    return presentAddress(updated!);
  });
}

export async function removeAddress({ ctx, input }: { ctx: TenantContext; input: { id: string; addressId: string } }) {
  await ctx.db.transaction(async (tx) => {
    await findWritableSubscriber(tx, input.id);
    const row = await findAddress(tx, input.id, input.addressId);
    await tx.delete(subscriberAddresses).where(eq(subscriberAddresses.id, row.id));
    await indexSubscriber(tx, row.subscriberId);
    await auditSubscriber(tx, ctx, row.subscriberId, 'address_removed', { address_id: row.id, kind: row.kind });
  });
}
