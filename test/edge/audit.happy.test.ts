import { describe, expect, it } from 'vitest';
import { startEdge, startTime, type Json, type TestEdge } from '../support/edge-app.ts';

const hour = 3_600_000;

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

const listAll = async (edge: TestEdge, token: string, query = '') => {
  const events: Json[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '';
    const path: string = `/api/v1/audit-events?${query}${sep}limit=3${cursor ? `&cursor=${cursor}` : ''}`;
    const page = edge.ok(await edge.call('GET', path, { token }), 200);
    events.push(...page.body.data!);
    cursor = page.body.next_cursor as string | null;
  } while (cursor);
  return events;
};

describe('audit trail contents', () => {
  it('records every write with actor, action, resource, id, changes, request id and client IP', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const writes: {
      requestId: string;
      action: string;
      resource: string;
      resourceId: () => string;
      changes: unknown;
    }[] = [];
    const send = async (
      method: string,
      path: string,
      body: unknown,
      expected: number,
      action: string,
      resource: string,
      changes: unknown,
      resourceId?: () => string,
    ) => {
      const requestId = `req-${action.replaceAll('.', '-')}-${writes.length}`;
      const res = edge.ok(
        await edge.call(method, path, { token, body, headers: { 'x-request-id': requestId } }),
        expected,
      );
      expect(res.headers.get('x-request-id')).toBe(requestId);
      const id = resourceId ?? (() => String(res.body.id));
      writes.push({ requestId, action, resource, resourceId: id, changes });
      return res;
    };
    const user = await send(
      'POST',
      '/api/v1/users',
      { email: 'new@isp.test', name: 'New', role: 'support', password: 'a-good-password-1' },
      201,
      'user.created',
      'user',
      {
        email: 'new@isp.test',
        name: 'New',
        role: 'support',
      },
    );
    const userId = String(user.body.id);
    await send('PATCH', `/api/v1/users/${userId}`, { role: 'billing' }, 200, 'user.updated', 'user', {
      role: 'billing',
    });
    const key = await send(
      'POST',
      '/api/v1/api-keys',
      { name: 'ci', role: 'read_only' },
      201,
      'api_key.created',
      'api_key',
      { name: 'ci', role: 'read_only' },
    );
    const keyId = String(key.body.id);
    await send('DELETE', `/api/v1/api-keys/${keyId}`, undefined, 204, 'api_key.revoked', 'api_key', null, () => keyId);
    await send('DELETE', `/api/v1/users/${userId}`, undefined, 204, 'user.deleted', 'user', null, () => userId);
    await send(
      'POST',
      '/api/v1/me/mfa/totp',
      undefined,
      200,
      'user.mfa_enrolment_started',
      'user',
      null,
      () => tenant.owner.id,
    );

    const events = await listAll(edge, token);
    for (const write of writes) {
      const matching = events.filter((e) => e.request_id === write.requestId);
      expect(matching, write.action).toHaveLength(1);
      expect(matching[0]).toMatchObject({
        actor_type: 'user',
        actor_id: tenant.owner.id,
        action: write.action,
        resource: write.resource,
        resource_id: write.resourceId(),
        changes: write.changes,
        ip: '127.0.0.1',
        at: new Date(startTime).toISOString(),
      });
    }
    // Sequence numbers are dense and newest first; each entry links to the one before.
    const seqs = events.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(seqs.at(-1)).toBe(1);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.max(...seqs)).toBe(seqs.length);
    for (let i = 0; i < events.length - 1; i++) expect(events[i]!.prev_hash).toBe(events[i + 1]!.hash);
    expect(events.at(-1)!.prev_hash).toBe('0'.repeat(64));
  });

  it('records logins and API-key actors', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const created = edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: key.secret,
        body: { email: 'k@isp.test', name: 'K', role: 'support', password: 'a-good-password-1' },
      }),
      201,
    );
    const events = await listAll(edge, tenant.owner.token);
    expect(events.find((e) => e.resource_id === created.body.id && e.action === 'user.created')).toMatchObject({
      actor_type: 'api_key',
      actor_id: key.id,
    });
    expect(events.find((e) => e.action === 'auth.login')).toMatchObject({
      actor_type: 'user',
      actor_id: tenant.owner.id,
      resource: 'user',
      resource_id: tenant.owner.id,
    });
  });
});

describe('audit filters and pagination', () => {
  it('filters by actor, action, resource, resource id and a half-open time range, combined', async () => {
    const edge = await startEdge({ TOKEN_TTL_SECONDS: 86_400 });
    const tenant = await edge.createTenant();
    const admin = await edge.createStaff(tenant, 'admin');
    edge.clock.now = startTime + hour;
    const u1 = await edge.createStaff(tenant, 'support', admin.token);
    edge.clock.now = startTime + 2 * hour;
    const key = await edge.createApiKey(admin.token, 'read_only');
    edge.clock.now = startTime + 3 * hour;
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${u1.id}`, { token: tenant.owner.token, body: { name: 'Changed' } }),
      200,
    );
    const token = tenant.owner.token;
    const get = async (query: string) => listAll(edge, token, query);

    const byAdmin = await get(`actor_id=${admin.id}`);
    expect(byAdmin.map((e) => e.action).sort()).toEqual(['api_key.created', 'auth.login', 'user.created']);
    expect(byAdmin.every((e) => e.actor_id === admin.id)).toBe(true);

    const created = await get('action=user.created');
    expect(created.map((e) => e.resource_id)).toEqual([u1.id, admin.id, tenant.owner.id]);

    expect((await get('resource=api_key')).map((e) => e.resource_id)).toEqual([key.id]);
    expect((await get(`resource_id=${u1.id}`)).map((e) => e.action)).toEqual([
      'user.updated',
      'auth.login',
      'user.created',
    ]);
    expect(
      (await get(`resource=user&action=user.updated&actor_id=${tenant.owner.id}`)).map((e) => e.resource_id),
    ).toEqual([u1.id]);

    const from = new Date(startTime + hour).toISOString();
    const to = new Date(startTime + 3 * hour).toISOString();
    const window = await get(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(window.map((e) => e.at).every((at) => String(at) >= from && String(at) < to)).toBe(true);
    expect(window.map((e) => e.action)).toEqual(['api_key.created', 'auth.login', 'user.created']);
    // Offsets are honoured: the same instant written in another zone selects the same events.
    const shifted = await get(
      `from=${encodeURIComponent('2031-01-15T12:00:00+02:00')}&to=${encodeURIComponent('2031-01-15T14:00:00+02:00')}`,
    );
    expect(shifted.map((e) => e.id)).toEqual(window.map((e) => e.id));
    expect(await get('action=no.such.action')).toEqual([]);
  });

  it('pages newest first with a cursor, without gaps or repeats, and stops with next_cursor null', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    for (let i = 0; i < 7; i++) await edge.createApiKey(tenant.owner.token, 'read_only');
    const all = edge.ok(await edge.call('GET', '/api/v1/audit-events?limit=200', { token: tenant.owner.token }), 200);
    expect(all.body.next_cursor).toBeNull();
    const paged = await listAll(edge, tenant.owner.token);
    expect(paged.map((e) => e.seq)).toEqual(all.body.data!.map((e) => e.seq));
    expect(paged).toHaveLength(10);
    const first = edge.ok(await edge.call('GET', '/api/v1/audit-events?limit=4', { token: tenant.owner.token }), 200);
    // Opaque (issue 13): not the seq a client could build one from, and it leads on from the fourth entry.
    expect(first.body.next_cursor).not.toBe(String(first.body.data![3]!.seq));
    const next = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?limit=1&cursor=${String(first.body.next_cursor)}`, {
        token: tenant.owner.token,
      }),
      200,
    );
    expect(next.body.data!.map((e) => e.seq)).toEqual([all.body.data![4]!.seq]);
  });
});

describe('CSV export', () => {
  it('exports matching events oldest first with a header row, every cell quoted', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const awkward = 'Smith, "Jr."\nsecond line';
    edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: { email: 'awk@isp.test', name: awkward, role: 'support', password: 'a-good-password-1' },
      }),
      201,
    );
    const res = edge.ok(await edge.call('GET', '/api/v1/audit-events/export', { token: tenant.owner.token }), 200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="audit-events.csv"');
    const rows = parseCsv(res.text);
    const header = [
      'seq',
      'id',
      'at',
      'actor_type',
      'actor_id',
      'action',
      'resource',
      'resource_id',
      'changes',
      'request_id',
      'ip',
      'prev_hash',
      'hash',
    ];
    expect(rows[0]).toEqual(header);
    const json = (await listAll(edge, tenant.owner.token)).reverse();
    expect(rows.slice(1)).toHaveLength(json.length);
    rows.slice(1).forEach((row, i) => {
      const event = json[i]!;
      expect(row[0]).toBe(String(event.seq));
      expect(row[1]).toBe(event.id);
      expect(row[5]).toBe(event.action);
      expect(row[8] === '' ? null : JSON.parse(row[8]!)).toEqual(event.changes);
      expect(row[12]).toBe(event.hash);
    });
    const created = rows.find((r) => r[5] === 'user.created' && r[8]!.includes('awk@isp.test'))!;
    expect((JSON.parse(created[8]!) as Json).name).toBe(awkward);
    // Every cell is quoted, including numbers and empty values.
    const firstDataLine = res.text.split('\r\n')[1]!;
    expect(firstDataLine.startsWith('"1","')).toBe(true);
  });

  it('applies the same filters as the list', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'read_only');
    const res = edge.ok(
      await edge.call('GET', '/api/v1/audit-events/export?resource=api_key', { token: tenant.owner.token }),
      200,
    );
    const rows = parseCsv(res.text);
    expect(rows.slice(1).map((r) => [r[5], r[7]])).toEqual([['api_key.created', key.id]]);
  });

  it('neutralises spreadsheet formulas in cells (CSV injection)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    // A client-chosen request id is free text that reaches the start of a cell; it may begin with '-'.
    const requestIds = ['-2-3-cmd-calc', '-1.5-0.5-x', '--cmd-exe'];
    for (const requestId of requestIds) {
      const res = await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: requestId, role: 'read_only' },
        headers: { 'x-request-id': requestId },
      });
      expect(res.headers.get('x-request-id')).toBe(requestId);
    }
    const csv = edge.ok(await edge.call('GET', '/api/v1/audit-events/export', { token: tenant.owner.token }), 200).text;
    const rows = parseCsv(csv);
    for (const row of rows) for (const cell of row) expect(cell, `cell ${cell}`).not.toMatch(/^[=+\-@\t\r]/);
    for (const requestId of requestIds) expect(rows.some((r) => r[9] === `'${requestId}`)).toBe(true);
  });

  it('exports only a header for no matches', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = edge.ok(
      await edge.call('GET', '/api/v1/audit-events/export?action=nothing', { token: tenant.owner.token }),
      200,
    );
    expect(res.text).toBe(
      'seq,id,at,actor_type,actor_id,action,resource,resource_id,changes,request_id,ip,prev_hash,hash\r\n',
    );
  });
});

describe('chain verification', () => {
  it('reports an intact chain with its length and head hash', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    await edge.createStaff(tenant, 'support');
    const events = await listAll(edge, tenant.owner.token);
    const res = edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token: tenant.owner.token }), 200);
    expect(res.body).toEqual({ valid: true, events: events.length, head: events[0]!.hash });
  });
});
