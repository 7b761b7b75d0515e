import { describe, expect, it } from 'vitest';
import { startEdge, type TestEdge } from '../support/edge-app.ts';
import { importCsv, waitForImport } from './subscriber-imports.support.ts';

const subscriberRows = (edge: TestEdge, slug: string) =>
  edge.tenantSql(
    slug,
    'SELECT number, kind, status, first_name, last_name, organization_name, display_name, email, phone, billing_day, ' +
      'marketing_opt_in, custom_fields FROM subscribers ORDER BY seq',
  );

describe('subscriber CSV import', () => {
  it('imports subscribers with service and billing addresses, numbered in file order', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const csv = [
      'first_name,last_name,email,phone,billing_day,marketing_opt_in,service_line1,service_city,service_postal_code,' +
        'service_country,service_latitude,service_longitude,billing_line1,billing_city,billing_country',
      'Ada,Lovelace,ADA@Example.com,+44 20 7946 0018,5,yes,1 Analytical St,London,NW1 6XE,gb,51.5,-0.12,PO Box ' +
        '7,London,GB',
      'Alan,Turing,alan@example.com,,,,"Hut 8, Bletchley Park",Milton Keynes,MK3 6EB,GB,,,,,',
    ].join('\r\n');
    const job = edge.ok(await importCsv(edge, tenant.owner.token, csv), 202);
    expect(job.headers.get('location')).toBe(`/api/v1/subscriber-imports/${job.body.id}`);
    expect(job.body).toMatchObject({
      status: 'completed',
      dry_run: false,
      total_rows: 2,
      processed_rows: 2,
      error_count: 0,
      created_count: 2,
      ignored_columns: [],
    });

    const rows = (await subscriberRows(edge, tenant.slug)).rows;
    expect(rows.map((r) => [r.number, r.display_name, r.email, r.phone, r.billing_day, r.marketing_opt_in])).toEqual([
      ['SUB-000001', 'Ada Lovelace', 'ada@example.com', '+442079460018', 5, 1],
      ['SUB-000002', 'Alan Turing', 'alan@example.com', null, null, 0],
    ]);
    const addresses = await edge.tenantSql(
      tenant.slug,
      'SELECT s.number, a.kind, a.is_primary, a.line1, a.city, a.postal_code, a.country, a.latitude, a.longitude ' +
        'FROM subscriber_addresses a JOIN subscribers s ON s.id = a.subscriber_id ORDER BY s.seq, a.kind DESC',
    );
    expect(addresses.rows.map((r) => Object.values(r))).toEqual([
      ['SUB-000001', 'service', 1, '1 Analytical St', 'London', 'NW1 6XE', 'GB', 51.5, -0.12],
      ['SUB-000001', 'billing', 1, 'PO Box 7', 'London', null, 'GB', null, null],
      ['SUB-000002', 'service', 1, 'Hut 8, Bletchley Park', 'Milton Keynes', 'MK3 6EB', 'GB', null, null],
    ]);
  });

  it(
    'reads a Splynx customer export: its header names, one full name, category and gps; status is derived, not ' +
      'imported',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const csv = [
        '\uFEFFID;Login;Name;E-mail;Phone number;Category;Status;Street;ZIP code;City;Country;GPS;Date add',
        '17;jdoe;John Ronald Doe;john@doe.test;+1 555 010 0001;person;blocked;1 Main St;10001;New ' +
          'York;US;40.7128,-74.0060;2024-01-03',
        '18;acme;ACME Corp;billing@acme.test;;company;new;2 Side St;10002;New York;US;;2024-01-04',
      ].join('\n');
      const job = edge.ok(await importCsv(edge, tenant.owner.token, csv), 202);
      expect(job.body).toMatchObject({
        status: 'completed',
        created_count: 2,
        ignored_columns: ['ID', 'Login', 'Status', 'Date add'],
      });
      const rows = (await subscriberRows(edge, tenant.slug)).rows;
      expect(
        rows.map((r) => [r.number, r.kind, r.status, r.first_name, r.last_name, r.organization_name, r.display_name]),
      ).toEqual([
        ['SUB-000001', 'person', 'active', 'John Ronald', 'Doe', null, 'John Ronald Doe'],
        ['SUB-000002', 'organization', 'active', null, null, 'ACME Corp', 'ACME Corp'],
      ]);
      const gps = await edge.tenantSql(
        tenant.slug,
        'SELECT latitude, longitude, postal_code FROM subscriber_addresses ORDER BY postal_code',
      );
      expect(gps.rows.map((r) => Object.values(r))).toEqual([
        [40.7128, -74.006, '10001'],
        [null, null, '10002'],
      ]);
    },
  );

  it('validates only on a dry run, and writes nothing', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const csv = 'name,city,street,country\r\nGrace Hopper,Arlington,1 Navy Way,US\r\n';
    const job = edge.ok(await importCsv(edge, tenant.owner.token, csv, '?dry_run=true'), 202);
    expect(job.body).toMatchObject({
      status: 'completed',
      dry_run: true,
      total_rows: 1,
      processed_rows: 1,
      error_count: 0,
      created_count: 0,
    });
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(0);
    expect(
      (await edge.tenantSql(tenant.slug, 'SELECT last_value FROM document_sequences WHERE prefix = ?', ['SUB'])).rows,
    ).toEqual([]);
  });

  it(
    'imports 10,000 rows in the background, numbered SUB-000001..SUB-010000 in file order',
    { timeout: 120_000 },
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const lines = ['first_name,last_name,email,phone,service_line1,service_city,service_postal_code,service_country'];
      for (let i = 1; i <= 10_000; i++)
        lines.push(
          `First${i},Last${i},user${i}@bulk.test,+1555${String(i).padStart(7, '0')},${i} Fiber ` +
            `Road,Springfield,${String(i % 100_000).padStart(5, '0')},US`,
        );
      const posted = edge.ok(await importCsv(edge, tenant.owner.token, lines.join('\n')), 202);
      expect(['validating', 'importing', 'completed']).toContain(posted.body.status);
      const job = await waitForImport(edge, tenant.owner.token, String(posted.body.id));
      expect(job).toMatchObject({
        status: 'completed',
        total_rows: 10_000,
        processed_rows: 10_000,
        created_count: 10_000,
        error_count: 0,
      });

      const summary = await edge.tenantSql(
        tenant.slug,
        'SELECT count(*) AS n, min(number) AS first, max(number) AS last, count(DISTINCT number) AS distinct_numbers ' +
          'FROM subscribers',
      );
      expect(summary.rows[0]).toMatchObject({
        n: 10_000,
        first: 'SUB-000001',
        last: 'SUB-010000',
        distinct_numbers: 10_000,
      });
      const outOfOrder = await edge.tenantSql(
        tenant.slug,
        "SELECT count(*) AS n FROM subscribers WHERE email != 'user' || seq || '@bulk.test' OR number != " +
          "printf('SUB-%06d', seq)",
      );
      expect(outOfOrder.rows[0]!.n).toBe(0);
      const spot = await edge.tenantSql(
        tenant.slug,
        'SELECT a.line1, a.city, a.postal_code, a.country FROM subscriber_addresses a JOIN subscribers s ON s.id = ' +
          "a.subscriber_id WHERE s.number = 'SUB-007351'",
      );
      expect(spot.rows.map((r) => Object.values(r))).toEqual([['7351 Fiber Road', 'Springfield', '07351', 'US']]);
      // Imported subscribers are in the search index: by a run of phone digits, by number, by name.
      const search = async (match: string) =>
        (
          await edge.tenantSql(
            tenant.slug,
            'SELECT s.number FROM subscribers_fts f JOIN subscribers s ON s.seq = f.rowid WHERE subscribers_fts ' +
              'MATCH ? ORDER BY s.seq',
            [match],
          )
        ).rows.map((r) => r.number);
      expect(await search('"0007351"*')).toEqual(['SUB-007351']);
      expect(await search('"sub" "009999"')).toEqual(['SUB-009999']);
      expect(await search('"first4242"* "last4242"*')).toEqual(['SUB-004242']);
    },
  );
});
