// Issue 13 "one list helper": `?format=csv` on the billing, collections, audit, webhook,
// import and settings lists, through the one streamed helper (routes/list-csv.ts): the rows
// of the JSON list in its order, its filters applied, the formula guard on every cell.
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../edge/lib/csv.ts';
import { runOutboxOf } from '../../edge/services/outbox/run-outbox.ts';
import { billingWorld, hour, iso, ownerWorld, type BillingWorld } from '../support/billing.ts';
import { expectProblem, startEdge, startTime, type Json } from '../support/edge-app.ts';
import { startReceiver } from '../support/webhook-receiver.ts';
import { upload } from './attachments-support.ts';

const table = (text: string) => parseCsv(text).map((r) => r.cells);

/** The CSV of `path` (a list URL), checked to be a download named `filename`, as header and rows. */
async function csv(w: BillingWorld, path: string, filename: string) {
  const res = w.edge.ok(
    await w.edge.call('GET', `/api/v1/${path}${path.includes('?') ? '&' : '?'}format=csv`, { token: w.auth.token }),
    200,
  );
  expect(res.headers.get('content-type'), path).toBe('text/csv; charset=utf-8');
  expect(res.headers.get('content-disposition'), path).toBe(`attachment; filename="${filename}"`);
  const [header, ...rows] = table(res.text);
  const cell = (row: readonly string[], column: string) => {
    expect(header, path).toContain(column);
    return row[header!.indexOf(column)]!;
  };
  return { header: header!, rows, cell, column: (name: string) => rows.map((row) => cell(row, name)) };
}

/** Every row of a JSON list, following next_cursor. */
async function all(w: BillingWorld, path: string) {
  const rows: Json[] = [];
  let cursor: unknown = null;
  do {
    const page = await w.get(
      `${path}${path.includes('?') ? '&' : '?'}limit=2${cursor ? `&cursor=${String(cursor)}` : ''}`,
    );
    rows.push(...page.data!);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

describe('billing lists as CSV', () => {
  it('export invoices, payments, credit notes and subscriptions as their lists, filters applied', async () => {
    const w = await ownerWorld();
    const offer = await w.offer();
    const subscribers: string[] = [];
    for (const h of [0, 1, 2]) {
      await w.travel(startTime + h * hour);
      const { subscriberId } = await w.activeSubscription(offer.id, startTime + h * hour);
      subscribers.push(subscriberId);
      await w.bill(startTime + h * hour);
      await w.pay(subscriberId, 2_500, { reference: '=HYPERLINK("http://evil")' });
      await w.post('credit-notes', {
        subscriber_id: subscriberId,
        reason: '@SUM(A1)',
        lines: [{ description: 'goodwill', amount: 500 }],
      });
    }
    await w.post(
      `subscriptions/${String((await all(w, 'subscriptions')).at(-1)!.id)}/change-plan`,
      {
        offer_id: (await w.offer(20_000)).id,
        effective_at: iso(startTime + 40 * 24 * hour),
      },
      200,
    );

    const invoices = await all(w, 'invoices');
    const inv = await csv(w, 'invoices', 'invoices.csv');
    expect(inv.header).toEqual([
      'number',
      'kind',
      'status',
      'subscriber_id',
      'currency',
      'subtotal',
      'tax_total',
      'total',
      'balance_due',
      'period_start',
      'period_end',
      'issued_at',
      'due_at',
      'paid_at',
      'voided_at',
      'written_off_at',
      'status_reason',
      'billing_run_id',
      'created_at',
      'id',
    ]);
    expect(inv.column('id')).toEqual(invoices.map((i) => i.id));
    expect(inv.column('balance_due')).toEqual(invoices.map((i) => String(i.balance_due)));
    expect(inv.column('number')).toEqual(invoices.map((i) => i.number));
    const one = await csv(w, `invoices?subscriber_id=${subscribers[1]!}`, 'invoices.csv');
    expect(one.column('subscriber_id')).toEqual([subscribers[1]]);
    const window = await csv(w, `invoices?created_from=${iso(startTime + hour)}`, 'invoices.csv');
    expect(window.column('id')).toEqual(invoices.slice(0, 2).map((i) => i.id));

    const payments = await csv(w, 'payments', 'payments.csv');
    expect(payments.column('id')).toEqual((await all(w, 'payments')).map((p) => p.id));
    expect(payments.column('amount')).toEqual(['2500', '2500', '2500']);
    // The formula guard: a reference a customer's bank chose cannot run in a spreadsheet.
    expect(payments.column('reference')).toEqual(Array(3).fill(`'=HYPERLINK("http://evil")`));
    expect(payments.header).not.toContain('allocations');

    const notes = await csv(w, 'credit-notes?status=draft', 'credit-notes.csv');
    expect(notes.column('id')).toEqual((await all(w, 'credit-notes')).map((n) => n.id));
    expect(notes.column('reason')).toEqual(Array(3).fill(`'@SUM(A1)`));
    expect(notes.column('total')).toEqual(['500', '500', '500']);
    expect((await csv(w, 'credit-notes?status=issued', 'credit-notes.csv')).rows).toEqual([]);

    const subscriptions = await all(w, 'subscriptions');
    const subs = await csv(w, 'subscriptions', 'subscriptions.csv');
    expect(subs.column('id')).toEqual(subscriptions.map((s) => s.id));
    expect(subs.column('status')).toEqual(['active', 'active', 'active']);
    const scheduled = subscriptions.at(-1)!.scheduled_change as Json;
    expect(subs.rows.map((r) => [subs.cell(r, 'scheduled_offer_id'), subs.cell(r, 'scheduled_effective_at')])).toEqual([
      ['', ''],
      ['', ''],
      [scheduled.offer_id, scheduled.effective_at],
    ]);
  });

  it('export the journal one row per line, billing and collections runs, and dunning cases', async () => {
    // An API key: the collections run moves the clock past a login token's life.
    const w = await billingWorld(await startEdge());
    const offer = await w.offer();
    const { subscriberId } = await w.activeSubscription(offer.id, startTime);
    await w.bill(startTime);
    await w.pay(subscriberId, 1_000);

    const entries = await all(w, 'journal');
    const journal = await csv(w, 'journal', 'journal.csv');
    expect(journal.rows).toHaveLength(entries.reduce((n, e) => n + (e.lines as Json[]).length, 0));
    expect(journal.column('entry_id')).toEqual(entries.flatMap((e) => (e.lines as Json[]).map(() => e.id)));
    expect(journal.column('debit')).toEqual(entries.flatMap((e) => (e.lines as Json[]).map((l) => String(l.debit))));
    expect(journal.column('account')).toEqual(entries.flatMap((e) => (e.lines as Json[]).map((l) => l.account)));
    const debits = journal.column('debit').reduce((n, d) => n + Number(d), 0);
    expect(journal.column('credit').reduce((n, c) => n + Number(c), 0)).toBe(debits);

    await w.bill(startTime + hour);
    const runs = await csv(w, 'billing-runs', 'billing-runs.csv');
    expect(runs.column('id')).toEqual((await all(w, 'billing-runs')).map((r) => r.id));
    expect(runs.column('invoices_created')).toEqual(['0', '1']);
    expect(runs.header).not.toContain('failures');

    // Unpaid past its due date: the collections run marks the invoice overdue and opens a case.
    const collected = await w.collect(startTime + 40 * 24 * hour);
    const collections = await csv(w, 'collections/runs', 'collections-runs.csv');
    expect(collections.column('id')).toEqual([collected.id]);
    expect(collections.column('mark_overdue')).toEqual(['1']);
    expect(collections.column('restore')).toEqual(['0']);
    const cases = await csv(w, 'collections/cases?status=open', 'collections-cases.csv');
    expect(cases.column('id')).toEqual((await w.cases('&status=open')).map((c) => c.id));
    expect(cases.column('subscriber_id')).toEqual([subscriberId]);
    expect((await csv(w, 'collections/cases?status=closed', 'collections-cases.csv')).rows).toEqual([]);
  });
});

describe('other lists as CSV', () => {
  it('export audit entries newest first, and /export oldest first, both streamed', async () => {
    const w = await ownerWorld();
    await w.post('tags', { name: '=cmd' });
    const entries = await all(w, 'audit-events');
    const listed = await csv(w, 'audit-events', 'audit-events.csv');
    expect(listed.column('seq')).toEqual(entries.map((e) => String(e.seq)));
    const filtered = await csv(w, 'audit-events?resource=tag', 'audit-events.csv');
    expect(filtered.column('action')).toEqual(['tag.created']);
    const exported = w.edge.ok(await w.edge.call('GET', '/api/v1/audit-events/export', { token: w.auth.token }), 200);
    expect(table(exported.text).slice(1)).toEqual([...listed.rows].reverse());
  });

  it('export webhooks and deliveries, tags, custom fields, imports, members and ticket files', async () => {
    const w = await ownerWorld();
    const receiver = await startReceiver(() => w.edge.clock.now);
    const hook = await w.post('webhooks', { url: receiver.url, events: ['ticket.created', 'tag.created'] });
    receiver.setSecret(String(hook.secret));
    const ticket = await w.post('tickets', { subject: 'No signal' });
    await runOutboxOf(w.edge.platform, w.tenant.slug);
    const endpoints = await csv(w, 'webhooks', 'webhooks.csv');
    expect(endpoints.column('id')).toEqual([hook.id]);
    expect(endpoints.column('events')).toEqual(['ticket.created; tag.created']);
    expect(endpoints.header).not.toContain('secret');
    const deliveries = await all(w, `webhooks/${String(hook.id)}/deliveries`);
    expect(deliveries.length).toBeGreaterThan(0);
    const delivered = await csv(w, `webhooks/${String(hook.id)}/deliveries`, 'webhook-deliveries.csv');
    expect(delivered.column('id')).toEqual(deliveries.map((d) => d.id));
    expect(delivered.column('event_type')).toEqual(['ticket.created']);
    expectProblem(
      await w.edge.call('GET', `/api/v1/webhooks/${crypto.randomUUID()}/deliveries?format=csv`, {
        token: w.auth.token,
      }),
      404,
      'not_found',
    );

    for (const name of ['Gold', '-1+2']) await w.post('tags', { name });
    const tags = await csv(w, 'tags', 'tags.csv');
    expect(tags.header).toEqual(['name', 'color', 'created_at', 'id']);
    expect(tags.column('name')).toEqual(["'-1+2", 'Gold']);

    await w.post('custom-fields', { key: 'plan', label: 'Plan', type: 'select', options: ['a', 'b'] });
    const fields = await csv(w, 'custom-fields', 'custom-fields.csv');
    expect(fields.rows.map((r) => [fields.cell(r, 'key'), fields.cell(r, 'options')])).toEqual([['plan', 'a; b']]);

    const job = w.edge.ok(
      await w.edge.call('POST', '/api/v1/subscriber-imports', {
        token: w.token,
        body: 'name,email,street,city,country,extra\r\nAda,ada@x.test,1 St,Town,US,x\r\n',
        headers: { 'content-type': 'text/csv' },
      }),
      202,
    ).body;
    const imports = await csv(w, 'subscriber-imports', 'subscriber-imports.csv');
    expect(imports.rows.map((r) => [imports.cell(r, 'id'), imports.cell(r, 'ignored_columns')])).toEqual([
      [job.id, 'extra'],
    ]);

    const org = await w.post('subscribers', { kind: 'organization', organization_name: 'Acme' });
    const members: unknown[] = [];
    for (let i = 0; i < 3; i++) members.push((await w.subscriber({ organization_id: org.id })).id);
    const listed = await csv(w, `subscribers/${String(org.id)}/members`, 'members.csv');
    expect(listed.column('id')).toEqual([...members].reverse());
    expect(listed.header[0]).toBe('subscriber_number');

    await w.post(`tickets/${String(ticket.id)}/comments`, { body: '+cmd|calc', internal: true });
    const comments = await csv(w, `tickets/${String(ticket.id)}/comments`, 'ticket-comments.csv');
    expect(comments.rows.map((r) => [comments.cell(r, 'body'), comments.cell(r, 'internal')])).toEqual([
      ["'+cmd|calc", 'true'],
    ]);
    const file = await upload(w.edge, w.token, String(ticket.id), 'hello', 'text/plain', '?filename=a.txt');
    const files = await csv(w, `tickets/${String(ticket.id)}/attachments`, 'ticket-attachments.csv');
    expect(files.rows.map((r) => [files.cell(r, 'id'), files.cell(r, 'filename'), files.cell(r, 'size')])).toEqual([
      [file.body.id, 'a.txt', '5'],
    ]);
  });

  it('checks each list permission for CSV as for JSON', async () => {
    const w = await ownerWorld();
    const tech = await w.edge.createStaff(w.tenant, 'field_tech');
    for (const path of ['invoices', 'payments', 'journal', 'billing-runs', 'audit-events', 'webhooks'])
      expectProblem(await w.edge.call('GET', `/api/v1/${path}?format=csv`, { token: tech.token }), 403, 'forbidden');
    expectProblem(await w.edge.call('GET', '/api/v1/invoices?format=csv'), 401, 'unauthenticated');
    expectProblem(
      await w.edge.call('GET', '/api/v1/invoices?format=xlsx', { token: w.auth.token }),
      400,
      'validation_failed',
    );
  });
});

describe('CSV in the OpenAPI document', () => {
  it('declares text/csv beside the JSON page on every list that takes format=csv', async () => {
    const edge = await startEdge();
    type Op = { parameters?: { name?: string }[]; responses: Record<string, { content?: Record<string, unknown> }> };
    const doc = edge.ok(await edge.call('GET', '/api/v1/openapi.json'), 200).body as unknown as {
      paths: Record<string, { get?: Op }>;
    };
    const csvLists = Object.entries(doc.paths)
      .filter(([, item]) => item.get?.parameters?.some((p) => p.name === 'format'))
      .map(([path, item]) => [path, Object.keys(item.get!.responses['200']!.content!)]);
    expect(csvLists.length).toBeGreaterThanOrEqual(27);
    for (const [path, types] of csvLists) expect(types, String(path)).toEqual(['application/json', 'text/csv']);
    for (const path of ['/api/v1/invoices', '/api/v1/journal', '/api/v1/webhooks/{id}/deliveries', '/api/v1/tags'])
      expect(csvLists.map(([p]) => p)).toContain(path);
  });
});
