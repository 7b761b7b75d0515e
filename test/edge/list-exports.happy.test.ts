// `?format=csv` on the staff lists: every row the filters match (all pages), same columns as JSON.
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../edge/lib/csv.ts';
import { expectProblem, startEdge } from '../support/edge-app.ts';

const table = (text: string) => parseCsv(text).map((r) => r.cells);

describe('list views as CSV', () => {
  it('exports staff users with the JSON list’s fields, formulas neutralised', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { name: '=HYPERLINK("http://evil")' },
      }),
      200,
    );
    const res = edge.ok(await edge.call('GET', '/api/v1/users?format=csv', { token: tenant.owner.token }), 200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="users.csv"');
    const json = edge.ok(await edge.call('GET', '/api/v1/users', { token: tenant.owner.token }), 200).body.data!;
    const [header, ...rows] = table(res.text);
    expect(header).toEqual([
      'id',
      'email',
      'name',
      'role',
      'status',
      'mfa_enabled',
      'last_login_at',
      'created_at',
      'updated_at',
    ]);
    expect(rows.map((r) => [r[0], r[1], r[3], r[5]])).toEqual(
      json.map((u) => [u.id, u.email, u.role, String(u.mfa_enabled)]),
    );
    expect(rows.find((r) => r[0] === staff.id)![2]).toBe(`'=HYPERLINK("http://evil")`);
  });

  // Issue 13 D10: the export wrote phones as '+…, so its cells did not import again.
  it("writes E.164 phones as they are, so an export's cells import again", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token,
        body: {
          first_name: 'Ada',
          last_name: 'Lovelace',
          email: 'ada@example.com',
          phone: '+44 20 7946 0018',
          notes: '=cmd',
        },
      }),
      201,
    );
    const [header, ...rows] = table(
      edge.ok(await edge.call('GET', '/api/v1/subscribers?format=csv', { token }), 200).text,
    );
    const cell = (name: string) => rows[0]![header!.indexOf(name)]!;
    expect(cell('phone')).toBe('+442079460018');
    const file =
      `first_name,last_name,email,phone,street,city,country\r\n` +
      `${['first_name', 'last_name', 'email', 'phone'].map(cell).join(',')},1 St,London,GB\r\n`;
    const other = await edge.createTenant();
    const job = edge.ok(
      await edge.call('POST', '/api/v1/subscriber-imports', {
        token: other.owner.token,
        body: file,
        headers: { 'content-type': 'text/csv' },
      }),
      202,
    ).body;
    expect(job).toMatchObject({ status: 'completed', created_count: 1 });
    expect(
      edge.ok(await edge.call('GET', '/api/v1/subscribers', { token: other.owner.token }), 200).body.data![0],
    ).toMatchObject({ phone: '+442079460018', email: 'ada@example.com' });
  });

  // Issue 13 D10: exports were built as one string in memory; now one page at a time.
  it(
    'streams a long export page by page: the first chunk is the header and one page, the rest follow as read',
    { timeout: 120_000 },
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      const file =
        `name,street,city,country\r\n` +
        `${Array.from({ length: 2_500 }, (_, i) => `Person ${i},${i} Main St,Town,US`).join('\r\n')}\r\n`;
      expect(
        edge.ok(
          await edge.call('POST', '/api/v1/subscriber-imports', {
            token,
            body: file,
            headers: { 'content-type': 'text/csv' },
          }),
          202,
        ).body.status,
      ).toMatch(/validating|importing|completed/);
      for (
        let i = 0;
        i < 600 &&
        Number((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n) < 2_500;
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
      const res = await edge.app.request('/api/v1/subscribers?format=csv', {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBeNull();
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      const chunks: string[] = [];
      for (let read = await reader.read(); !read.done; read = await reader.read())
        chunks.push(decoder.decode(read.value, { stream: true }));
      const lines = (text: string) => text.split('\r\n').length - 1;
      expect(chunks.map(lines)).toEqual([1_001, 1_000, 500]);
      const [header, ...rows] = table(chunks.join(''));
      expect(header![0]).toBe('subscriber_number');
      expect(rows.map((r) => r[0])).toEqual(
        Array.from({ length: 2_500 }, (_, i) => `SUB-${String(2_500 - i).padStart(6, '0')}`),
      );
    },
  );

  it('exports every API key across pages, honouring include_revoked', { timeout: 120_000 }, async () => {
    const edge = await startEdge({ API_KEY_RATE_LIMIT: 1_000_000 });
    const tenant = await edge.createTenant();
    const ids: string[] = [];
    // More keys than one export page (1,000), so the export must follow the cursor.
    for (let i = 0; i < 1_003; i++) ids.push((await edge.createApiKey(tenant.owner.token, 'read_only', `key ${i}`)).id);
    expect((await edge.call('DELETE', `/api/v1/api-keys/${ids[5]}`, { token: tenant.owner.token })).status).toBe(204);

    const live = table(
      edge.ok(await edge.call('GET', '/api/v1/api-keys?format=csv', { token: tenant.owner.token }), 200).text,
    );
    const header = [
      'id',
      'name',
      'role',
      'prefix',
      'created_by',
      'created_at',
      'expires_at',
      'last_used_at',
      'revoked_at',
    ];
    expect(live[0]).toEqual(header);
    expect(live.slice(1).map((r) => r[0])).toEqual(ids.filter((_, i) => i !== 5));
    const all = table(
      edge.ok(
        await edge.call('GET', '/api/v1/api-keys?format=csv&include_revoked=true', { token: tenant.owner.token }),
        200,
      ).text,
    );
    expect(all.slice(1).map((r) => r[0])).toEqual(ids);
    expect(all[6]![header.indexOf('revoked_at')]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('checks the list permission for CSV as for JSON, and refuses an unknown format', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const support = await edge.createStaff(tenant, 'support');
    expectProblem(await edge.call('GET', '/api/v1/api-keys?format=csv', { token: support.token }), 403, 'forbidden');
    expectProblem(await edge.call('GET', '/api/v1/users?format=csv', { token: support.token }), 403, 'forbidden');
    expectProblem(
      await edge.call('GET', '/api/v1/users?format=xml', { token: tenant.owner.token }),
      400,
      'validation_failed',
    );
    expectProblem(await edge.call('GET', '/api/v1/users?format=csv'), 401, 'unauthenticated');
  });
});
