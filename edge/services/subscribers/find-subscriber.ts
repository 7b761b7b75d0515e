import { eq } from 'drizzle-orm';
import { subscribers } from '../../../db/tenant/index.ts';
import { AppError } from '../../errors.ts';
import type { TenantReader } from '../../context.ts';

export const subscriberNotFound = (id: string) => new AppError('not_found', `no subscriber ${id}`);

/** The subscriber with this id (archived ones too), or a 404. */
export async function findSubscriber(db: TenantReader, id: string) {
  const [row] = await db.select().from(subscribers).where(eq(subscribers.id, id));
  if (!row) throw subscriberNotFound(id);
  return row;
}

/** As findSubscriber, refusing an erased subscriber: it may never hold personal data again. */
export async function findWritableSubscriber(db: TenantReader, id: string) {
  const row = await findSubscriber(db, id);
  if (row.erasedAt) throw new AppError('invalid_state', `subscriber ${id} was erased`);
  return row;
}
