import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';
import { importCsv } from './subscriber-imports.support.ts';

const csv = (email: string) => `name,email,street,city,country\r\nSecret Person,${email},1 Hidden Lane,Nowhere,US\r\n`;

describe('subscriber import security', () => {
  it("keeps one tenant's jobs, rows and emails from another", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const job = edge.ok(await importCsv(edge, a.owner.token, csv('secret@a.test')), 202);
    const id = String(job.body.id);

    const foreign = expectProblem(
      await edge.call('GET', `/api/v1/subscriber-imports/${id}`, { token: b.owner.token }),
      404,
      'not_found',
    );
    const missing = expectProblem(
      await edge.call('GET', `/api/v1/subscriber-imports/${crypto.randomUUID()}`, { token: b.owner.token }),
      404,
      'not_found',
    );
    expect(foreign.title).toBe(missing.title);
    const listed = edge.ok(await edge.call('GET', '/api/v1/subscriber-imports', { token: b.owner.token }), 200);
    expect(listed.body.data).toEqual([]);
    // B importing the same email is fine: uniqueness is per tenant, and A's address is never named to B.
    const bJob = edge.ok(await importCsv(edge, b.owner.token, csv('secret@a.test')), 202);
    expect(bJob.body).toMatchObject({ status: 'completed', created_count: 1 });
    expect((await edge.tenantSql(b.slug, 'SELECT number FROM subscribers')).rows.map((r) => r.number)).toEqual([
      'SUB-000001',
    ]);
    expect((await edge.tenantSql(a.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(1);
  });

  it('needs subscribers:write to import and subscribers:read to watch', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const job = edge.ok(await importCsv(edge, tenant.owner.token, csv('x@x.test')), 202);
    const path = `/api/v1/subscriber-imports/${job.body.id}`;
    for (const role of ['read_only', 'field_tech'] as const) {
      const staff = await edge.createStaff(tenant, role);
      expectProblem(await importCsv(edge, staff.token, csv(`${role}@x.test`)), 403, 'forbidden');
      edge.ok(await edge.call('GET', path, { token: staff.token }), 200);
    }
    const support = await edge.createStaff(tenant, 'support');
    edge.ok(await importCsv(edge, support.token, csv('support@x.test')), 202);
    const key = await edge.createApiKey(tenant.owner.token, 'billing');
    expect(edge.ok(await importCsv(edge, key.secret, csv('key@x.test')), 202).body.created_by).toBe(key.id);
    expectProblem(await importCsv(edge, '', csv('anon@x.test')), 401, 'unauthenticated');
    expectProblem(await edge.call('GET', path), 401, 'unauthenticated');
    expectProblem(await edge.call('GET', path, { token: await edge.rootToken() }), 403, 'forbidden');
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(3);
  });

  it('sets money terms other than the defaults only for a caller with billing:write (issue 13 D5)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const terms = 'name,email,street,city,country,grace_days,min_balance,payment_due_days\r\n';
    const support = await edge.createStaff(tenant, 'support');
    const refused = edge.ok(
      await importCsv(
        edge,
        support.token,
        `${terms}A B,a@x.test,1 St,Town,US,0,0,14\r\nC D,c@x.test,1 St,Town,US,5,-100,30\r\n`,
      ),
      202,
    );
    expect(refused.body).toMatchObject({ status: 'failed', error_count: 3, created_count: 0 });
    const errors = edge.ok(
      await edge.call('GET', `/api/v1/subscriber-imports/${String(refused.body.id)}`, { token: support.token }),
      200,
    ).body.errors;
    expect(errors).toEqual(
      ['payment_due_days', 'grace_days', 'min_balance'].map((term) => ({
        row: 3,
        line: 3,
        column: term,
        message: `setting ${term} needs the billing:write permission`,
      })),
    );
    // The same file with only the default terms imports; a billing user imports the other one.
    edge.ok(await importCsv(edge, support.token, `${terms}A B,a@x.test,1 St,Town,US,0,0,14\r\n`), 202);
    const billing = await edge.createStaff(tenant, 'billing');
    expect(
      edge.ok(await importCsv(edge, billing.token, `${terms}C D,c@x.test,1 St,Town,US,5,-100,30\r\n`), 202).body.status,
    ).toBe('completed');
    expect(
      (await edge.tenantSql(tenant.slug, 'SELECT grace_days FROM subscribers ORDER BY seq')).rows.map(
        (r) => r.grace_days,
      ),
    ).toEqual([0, 5]);
  });

  it('drops the uploaded file once the job ends (it holds personal data)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const ok = edge.ok(await importCsv(edge, tenant.owner.token, csv('kept@x.test')), 202);
    const failed = edge.ok(
      await importCsv(edge, tenant.owner.token, 'name,street,city,country\r\nX,1 St,Town,ZZ\r\n'),
      202,
    );
    expect(failed.body.status).toBe('failed');
    const sources = await edge.tenantSql(tenant.slug, 'SELECT id, source FROM subscriber_imports WHERE id IN (?, ?)', [
      String(ok.body.id),
      String(failed.body.id),
    ]);
    expect(sources.rows.map((r) => r.source)).toEqual([null, null]);
  });

  it('replays an import posted again with the same Idempotency-Key instead of importing twice', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const headers = { 'idempotency-key': 'import-once' };
    const first = edge.ok(await importCsv(edge, tenant.owner.token, csv('once@x.test'), '', headers), 202);
    const again = edge.ok(await importCsv(edge, tenant.owner.token, csv('once@x.test'), '', headers), 202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(1);
  });
});
