// Document numbers and the outbox, against a real tenant database file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabases, type Databases } from '../../../db/databases.ts';
import { createFileDriver } from '../../../db/drivers/files.ts';
import * as tenantSchema from '../../../db/tenant/index.ts';
import { recordDomainEvent } from '../../../edge/services/events/record-domain-event.ts';
import { nextDocumentNumber } from '../../../edge/services/numbering/next-document-number.ts';

let dir: string;
let dbs: Databases;
let db: ReturnType<typeof drizzle<typeof tenantSchema>>;
let release: () => void;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'numbering-'));
  dbs = createDatabases(createFileDriver(dir));
  await dbs.createTenant('acme');
  const lease = await dbs.leaseTenant('acme');
  release = lease.release;
  db = drizzle(lease.client, { schema: tenantSchema });
});
afterAll(() => {
  release();
  dbs.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('nextDocumentNumber', () => {
  it('numbers each prefix on its own, from 1, zero-padded to six digits', async () => {
    expect(await db.transaction((tx) => nextDocumentNumber(tx, 'SUB'))).toBe('SUB-000001');
    expect(await db.transaction((tx) => nextDocumentNumber(tx, 'SUB'))).toBe('SUB-000002');
    expect(await db.transaction((tx) => nextDocumentNumber(tx, 'INV'))).toBe('INV-000001');
  });

  it('gives a number back when the creating transaction rolls back (gap-free)', async () => {
    await expect(
      db.transaction(async (tx) => {
        expect(await nextDocumentNumber(tx, 'TKT')).toBe('TKT-000001');
        throw new Error('document rejected');
      }),
    ).rejects.toThrow('document rejected');
    expect(await db.transaction((tx) => nextDocumentNumber(tx, 'TKT'))).toBe('TKT-000001');
  });

  it('hands out distinct consecutive numbers to concurrent creators', async () => {
    const numbers = await Promise.all(
      Array.from({ length: 20 }, () => db.transaction((tx) => nextDocumentNumber(tx, 'PAY'))),
    );
    expect(new Set(numbers).size).toBe(20);
    expect(numbers.toSorted()).toEqual(Array.from({ length: 20 }, (_, i) => `PAY-${String(i + 1).padStart(6, '0')}`));
  });

  it('grows past six digits instead of wrapping', async () => {
    await db.insert(tenantSchema.documentSequences).values({ prefix: 'CN', lastValue: 999_999 });
    expect(await db.transaction((tx) => nextDocumentNumber(tx, 'CN'))).toBe('CN-1000000');
  });
});

describe('recordDomainEvent', () => {
  it('appends in order and commits or rolls back with the change', async () => {
    const at = new Date(Date.UTC(2031, 0, 1));
    await db.transaction((tx) =>
      recordDomainEvent(
        tx,
        { type: 'ticket.created', subjectType: 'ticket', subjectId: 't1', payload: { priority: 'high' } },
        at,
      ),
    );
    await db
      .transaction(async (tx) => {
        await recordDomainEvent(tx, { type: 'ticket.created', subjectType: 'ticket', subjectId: 't2' }, at);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await db.transaction((tx) =>
      recordDomainEvent(tx, { type: 'ticket.sla_breached', subjectType: 'ticket', subjectId: 't1' }, at),
    );
    const rows = await db.select().from(tenantSchema.domainEvents).orderBy(asc(tenantSchema.domainEvents.seq));
    expect(rows.map((r) => [r.type, r.subjectId, r.payload])).toEqual([
      ['ticket.created', 't1', { priority: 'high' }],
      ['ticket.sla_breached', 't1', {}],
    ]);
    expect(rows[0]!.occurredAt.getTime()).toBe(at.getTime());
  });
});
