import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type TestEdge } from '../support/edge-app.ts';
import { importCsv, waitForImport } from './subscriber-imports.support.ts';

type ImportError = { row: number | null; line: number; column: string | null; message: string };

/** What an import may touch; equal before and after means it wrote nothing. */
const snapshot = async (edge: TestEdge, slug: string) => {
  const out: unknown[] = [];
  for (const sql of [
    'SELECT * FROM subscribers ORDER BY seq',
    'SELECT * FROM subscriber_addresses ORDER BY id',
    'SELECT * FROM document_sequences ORDER BY prefix',
    "SELECT count(*) AS n FROM domain_events WHERE type = 'subscriber.created'",
    "SELECT count(*) AS n FROM subscribers_fts WHERE subscribers_fts MATCH 'x*'",
  ])
    out.push((await edge.tenantSql(slug, sql)).rows);
  return JSON.stringify(out);
};

const header =
  'first_name,last_name,email,phone,billing_day,marketing_opt_in,service_line1,service_city,service_country,' +
  'service_gps,status,custom.contract_ref';

describe('subscriber import errors', () => {
  it('reports every bad row with its row, line and column, and writes nothing', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    edge.ok(
      await edge.call('POST', '/api/v1/custom-fields', {
        token,
        body: { key: 'contract_ref', label: 'Contract', type: 'number' },
      }),
      201,
    );
    edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token,
        body: {
          first_name: 'Existing',
          email: 'taken@x.test',
          addresses: [{ line1: '1 A St', city: 'X', country: 'US' }],
        },
      }),
      201,
    );
    const before = await snapshot(edge, tenant.slug);
    const csv = [
      header,
      'Good,Row,good@x.test,+15550000001,1,yes,1 Main St,Town,US,,active,7', // row 2
      'Bad,Email,not-an-email,,,,1 Main St,Town,US,,,', // row 3
      'Bad,Phone,p@x.test,12345,,,1 Main St,Town,US,,,', // row 4
      'Bad,Day,d@x.test,,31,,1 Main St,Town,US,,,', // row 5
      'Bad,Number,n@x.test,,soon,,1 Main St,Town,US,,,', // row 6
      'Bad,Bool,b@x.test,,,maybe,1 Main St,Town,US,,,', // row 7
      'No,City,c@x.test,,,,1 Main St,,US,,,', // row 8
      'Bad,Country,k@x.test,,,,1 Main St,Town,XX,,,', // row 9
      ',,nameless@x.test,,,,1 Main St,Town,US,,,', // row 10
      'Bad,Gps,g@x.test,,,,1 Main St,Town,US,north,,', // row 11
      'Bad,Status,s@x.test,,,,1 Main St,Town,US,,sleeping,', // row 12
      'Bad,Custom,cf@x.test,,,,1 Main St,Town,US,,,seven', // row 13
      'Dup,Email,GOOD@x.test,,,,1 Main St,Town,US,,,', // row 14
      'Already,There,taken@X.test,,,,1 Main St,Town,US,,,', // row 15
      '"Multi\nline",Name,m@x.test,,,,1 Main St,Town,US,,,,extra', // row 16, lines 17–18
    ].join('\n');
    const posted = edge.ok(await importCsv(edge, token, csv), 202);
    expect(posted.body).toMatchObject({ status: 'failed', total_rows: 15, processed_rows: 15, created_count: 0 });
    const job = edge.ok(await edge.call('GET', `/api/v1/subscriber-imports/${posted.body.id}`, { token }), 200).body;
    const errors = job.errors as ImportError[];
    expect(job.error_count).toBe(errors.length);
    const at = (row: number) => errors.filter((e) => e.row === row).map((e) => [e.column, e.line]);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual([['email', 3]]);
    expect(at(4)).toEqual([['phone', 4]]);
    expect(at(5)).toEqual([['billing_day', 5]]);
    expect(at(6)).toEqual([['billing_day', 6]]);
    expect(at(7)).toEqual([['marketing_opt_in', 7]]);
    expect(at(8)).toEqual([['service_city', 8]]);
    expect(at(9)).toEqual([['service_country', 9]]);
    expect(at(10)).toEqual([['last_name', 10]]);
    expect(at(11)).toEqual([['service_gps', 11]]);
    // status is derived (issue 13 D7): the column is ignored, whatever it says.
    expect(at(12)).toEqual([]);
    expect(at(13)).toEqual([['custom.contract_ref', 13]]);
    expect(at(14)).toEqual([['email', 14]]);
    expect(at(15)).toEqual([['email', 15]]);
    expect(at(16)).toEqual([[null, 16]]);
    const message = (row: number) => errors.find((e) => e.row === row)!.message;
    expect(message(6)).toBe('must be a whole number');
    expect(message(10)).toMatch(/first_name or last_name/);
    expect(message(13)).toBe('must be a number');
    expect(message(14)).toBe('good@x.test is also on row 2; emails are unique');
    expect(message(15)).toBe('a subscriber with email taken@x.test already exists');
    expect(message(16)).toBe('the row has 13 cells but the header only 12');
    expect(await snapshot(edge, tenant.slug)).toBe(before);
  });

  it.each([
    ['an unterminated quote', `${header}\nA,B,"open,,,,,,,,,\n`, { row: null, line: 2, column: null }, /never closed/],
    [
      'a missing required column',
      'first_name,service_line1,service_country\nA,1 St,US\n',
      { row: 1, line: 1, column: null },
      /service_city column is required/,
    ],
    [
      'no name column',
      'email,street,city,country\na@x.test,1 St,Town,US\n',
      { row: 1, line: 1, column: null },
      /a name column is required/,
    ],
    [
      'two headers for one column',
      'name,city,town,street,country\nA,B,C,D,US\n',
      { row: 1, line: 1, column: 'town' },
      /same column as "city"/,
    ],
    [
      'an undefined custom field',
      'name,city,street,country,custom.nope\nA,B,D,US,1\n',
      { row: 1, line: 1, column: 'custom.nope' },
      /no custom field with key nope/,
    ],
    ['an empty file', '', { row: null, line: 1, column: null }, /empty/],
    ['a header without rows', 'name,city,street,country\r\n', { row: null, line: 1, column: null }, /no rows/],
    [
      'more than 50,000 rows',
      `name,city,street,country\n${'A,B,C,US\n'.repeat(50_001)}`,
      { row: null, line: 50_002, column: null },
      /more than 50000 rows; split it/,
    ],
  ])('fails the whole file for %s, naming where', async (_name, csv, where, message) => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const before = await snapshot(edge, tenant.slug);
    const posted = edge.ok(await importCsv(edge, tenant.owner.token, csv), 202);
    const job = await waitForImport(edge, tenant.owner.token, String(posted.body.id));
    expect(job.status).toBe('failed');
    const [error] = job.errors as ImportError[];
    expect(error).toMatchObject(where);
    expect(error!.message).toMatch(message);
    expect(await snapshot(edge, tenant.slug)).toBe(before);
  });

  it('pages through row errors and keeps counting past the first page', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const rows = Array.from({ length: 7 }, (_, i) => `P${i},bad-email-${i},1 St,Town,US`);
    const posted = edge.ok(
      await importCsv(edge, tenant.owner.token, ['name,email,street,city,country', ...rows].join('\n')),
      202,
    );
    const seen: number[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const page = edge.ok(
        await edge.call(
          'GET',
          `/api/v1/subscriber-imports/${posted.body.id}?errors_limit=3${cursor ? `&errors_cursor=${cursor}` : ''}`,
          { token: tenant.owner.token },
        ),
        200,
      ).body;
      expect(page.error_count).toBe(7);
      seen.push(...(page.errors as ImportError[]).map((e) => e.row!));
      cursor = page.errors_next_cursor as string | null;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    expect(seen).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(cursors).toHaveLength(2);
    // Issue 13 "opaque cursors on every list": the errors cursor was the plain ordinal, which clients built.
    for (const cursor of cursors) expect(cursor).not.toMatch(/^\d+$/);
    for (const bad of ['abc', '3', cursors[0]!.slice(1)]) {
      expectProblem(
        await edge.call('GET', `/api/v1/subscriber-imports/${posted.body.id}?errors_cursor=${bad}`, {
          token: tenant.owner.token,
        }),
        400,
        'validation_failed',
      );
    }
  });

  it('refuses a body over 20 MiB (413), one that is not CSV (415) and one that is not UTF-8 (422)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const big = `name,city,street,country\n${'x'.repeat(20 * 1024 * 1024)}`;
    expectProblem(await importCsv(edge, tenant.owner.token, big), 413, 'payload_too_large');
    expectProblem(
      await importCsv(edge, tenant.owner.token, 'name\nA', '', { 'content-type': 'application/json' }),
      415,
      'unsupported_media_type',
    );
    expectProblem(
      await edge.call('POST', '/api/v1/subscriber-imports', { token: tenant.owner.token }),
      415,
      'unsupported_media_type',
    );
    expectProblem(
      await importCsv(edge, tenant.owner.token, 'name,city,street,country\nJos\uFFFD,B,C,US'),
      422,
      'unprocessable',
    );
    // Other routes keep the 1 MiB limit.
    expectProblem(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: 'x'.repeat(1024 * 1024), role: 'read_only' },
      }),
      413,
      'payload_too_large',
    );
    expect((await edge.call('GET', '/api/v1/subscriber-imports', { token: tenant.owner.token })).body.data).toEqual([]);
  });

  it('an import that fails inside its transaction leaves no subscriber behind', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    // Stands in for a crash or a database error half-way through the insert.
    await edge.tenantSql(
      tenant.slug,
      "CREATE TRIGGER fail_midway BEFORE INSERT ON subscribers WHEN NEW.seq = 120 BEGIN SELECT RAISE(ABORT, 'disk on " +
        "fire'); END",
    );
    const before = await snapshot(edge, tenant.slug);
    const rows = Array.from({ length: 200 }, (_, i) => `Person ${i},p${i}@x.test,1 St,Town,US`);
    const posted = edge.ok(
      await importCsv(edge, tenant.owner.token, ['name,email,street,city,country', ...rows].join('\n')),
      202,
    );
    expect(posted.body).toMatchObject({ status: 'failed', created_count: 0 });
    expect(await snapshot(edge, tenant.slug)).toBe(before);
    expect(edge.logs.some((l) => l.includes('disk on fire'))).toBe(true);
  });

  it('a job cut off by a restart runs again when read, and imports once', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const csv =
      'name,email,street,city,country\nAda Lovelace,ada@x.test,1 St,London,GB\nAlan Turing,alan@x.test,2 ' +
      'St,London,GB\n';
    // The state a process leaves when it dies mid-import: importing, a stale heartbeat, the file kept.
    const stale = edge.clock.now - 10 * 60_000;
    const id = '01900000-0000-7000-8000-000000000001';
    await edge.tenantSql(
      tenant.slug,
      'INSERT INTO subscriber_imports (id, status, dry_run, source, total_rows, processed_rows, attempts, ' +
        "heartbeat_at, created_at, started_at) VALUES (?, 'importing', 0, ?, 2, 2, 1, ?, ?, ?)",
      [id, csv, stale, stale, stale],
    );
    const first = edge.ok(
      await edge.call('GET', `/api/v1/subscriber-imports/${id}`, { token: tenant.owner.token }),
      200,
    );
    expect(first.body.status).toBe('importing');
    const job = await waitForImport(edge, tenant.owner.token, id);
    expect(job).toMatchObject({ status: 'completed', created_count: 2 });
    const rows = await edge.tenantSql(tenant.slug, 'SELECT number, display_name FROM subscribers ORDER BY seq');
    expect(rows.rows.map((r) => [r.number, r.display_name])).toEqual([
      ['SUB-000001', 'Ada Lovelace'],
      ['SUB-000002', 'Alan Turing'],
    ]);
    expect(
      (await edge.tenantSql(tenant.slug, 'SELECT source, attempts FROM subscriber_imports WHERE id = ?', [id])).rows[0],
    ).toMatchObject({ source: null, attempts: 2 });
    // Reading a finished job runs nothing again.
    edge.ok(await edge.call('GET', `/api/v1/subscriber-imports/${id}`, { token: tenant.owner.token }), 200);
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(2);
  });
});
