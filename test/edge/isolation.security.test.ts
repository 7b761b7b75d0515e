// Tenant isolation, proven over every route the app serves. Routes are enumerated from
// `app.routes` (never listed by hand), request bodies and query parameters come from the
// OpenAPI document, so a route added later is attacked automatically — and a route this
// file cannot classify, or whose parameters it cannot fill, fails the test.
import { describe, expect, it } from 'vitest';
import { dispatchOutbox } from '../../edge/services/outbox/dispatch-outbox.ts';
import { outboxConsumers } from '../../edge/services/outbox/run-outbox.ts';
import { asSystemInTenant } from '../../edge/services/scheduler/for-each-tenant.ts';
import {
  startEdge,
  unique,
  type CallResult,
  type StaffFixture,
  type TenantFixture,
  type TestEdge,
} from '../support/edge-app.ts';

type Schema = {
  $ref?: string;
  example?: unknown;
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  minimum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};
type Operation = {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  parameters?: { name: string; in: string; schema: Schema }[];
};
type OpenApi = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

type Route = { method: string; path: string; params: string[] };
type Kind = 'public' | 'platform' | 'tenant';

/** Routes that need no credentials at all; everything else must be classified below. */
const publicRoutes = new Set([
  'POST /api/v1/platform/auth/login',
  'POST /api/v1/auth/login',
  'GET /api/v1/openapi.json',
  'GET /health',
]);

function classify(route: Route): Kind | null {
  const key = `${route.method} ${route.path}`;
  if (
    publicRoutes.has(key) ||
    (route.method === 'GET' && (route.path === '/api/docs' || route.path.startsWith('/api/docs/')))
  )
    return 'public';
  // The pages that explain each problem type (RFC 9457 §3.1.1).
  if (route.method === 'GET' && route.path === '/problems/:slug') return 'public';
  if (route.path.startsWith('/api/v1/platform/')) return 'platform';
  if (route.path.startsWith('/api/v1/')) return 'tenant';
  return null;
}

/** Path parameters this test knows how to fill with another tenant's identifiers. */
const knownParams: Record<Exclude<Kind, 'public'>, ReadonlySet<string>> = {
  tenant: new Set(['id', 'address_id', 'contact_id', 'tag_id']),
  platform: new Set(['slug']),
};

function enumerateRoutes(edge: TestEdge): Route[] {
  const seen = new Map<string, Route>();
  for (const r of edge.app.routes) {
    if (r.method === 'ALL') continue; // middleware
    const key = `${r.method} ${r.path}`;
    if (!seen.has(key))
      seen.set(key, { method: r.method, path: r.path, params: [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!) });
  }
  return [...seen.values()];
}

const docPath = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
const fill = (path: string, values: Record<string, string>) =>
  path.replace(/:(\w+)(\{[^}]*\})?/g, (_m, name: string) => encodeURIComponent(values[name]!));

/** A valid example of a JSON schema, or an exception naming what it cannot build. */
function example(schema: Schema, doc: OpenApi, where: string): unknown {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`${where}: unresolvable ${schema.$ref}`);
    return example(target, doc, where);
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  // allOf: every part applies, so an example of the whole is the union of the parts' examples.
  if (schema.allOf)
    return Object.assign({}, ...schema.allOf.map((part, i) => example(part, doc, `${where}.allOf[${i}]`) as object));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return example(alternatives.find((s) => s.type !== 'null') ?? alternatives[0]!, doc, where);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, s]) => [
          k,
          ownRefs[k] ?? (references.has(k) && allowsNull(s) ? null : example(s, doc, `${where}.${k}`)),
        ]),
      );
    case 'array':
      return schema.items ? [example(schema.items, doc, `${where}[]`)] : [];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string': {
      if (schema.format === 'email') return `${unique('probe')}@attacker.test`;
      if (schema.format === 'uuid') return crypto.randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.pattern === '^\\d{6}$') return '123456';
      if (schema.pattern === '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$') return unique('probe-');
      if (schema.pattern)
        throw new Error(`${where}: no example for pattern ${schema.pattern}; teach isolation.security.test.ts`);
      return `probe-${unique('')}`.padEnd(Math.max(schema.minLength ?? 0, 16), 'x');
    }
    default:
      throw new Error(`${where}: no example for schema ${JSON.stringify(schema)}; teach isolation.security.test.ts`);
  }
}

/**
 * Fields that name another record of the caller's tenant: a random id would be refused as
 * unknown, so where the schema allows it they are sent as null (unlinking is valid input).
 */
const references = new Set([
  'assignee_id',
  'subscriber_id',
  'subscription_id',
  'organization_id',
  'discount_id',
  'tax_rate_id',
]);
/** Body fields that must name one of B's own records for a request to be valid (set once B is populated). */
const ownRefs: Record<string, string> = {};
const allowsNull = (schema: Schema) =>
  (schema.anyOf ?? schema.oneOf ?? []).some((s) => s.type === 'null') ||
  (Array.isArray(schema.type) && schema.type.includes('null'));

type Populated = {
  tenant: TenantFixture;
  user: StaffFixture;
  key: { id: string; secret: string };
  ownerKey: { id: string; secret: string };
  revokedKeyId: string;
  importId: string;
  crm: Awaited<ReturnType<typeof populateSubscribers>>;
  markers: string[];
};

/** A tenant with users, API keys (one revoked), MFA enrolment and a trail of audit events. */
async function populate(edge: TestEdge, slug: string): Promise<Populated> {
  const tenant = await edge.createTenant({ slug, name: `Secret name of ${slug}` });
  const user = await edge.createStaff(tenant, 'support');
  const secretName = `Private person of ${slug}`;
  edge.ok(
    await edge.call('PATCH', `/api/v1/users/${user.id}`, { token: tenant.owner.token, body: { name: secretName } }),
    200,
  );
  const key = await edge.createApiKey(tenant.owner.token, 'admin', `key of ${slug}`);
  const ownerKey = await edge.createApiKey(tenant.owner.token, 'owner', `owner key of ${slug}`);
  const revoked = await edge.createApiKey(tenant.owner.token, 'read_only', `revoked key of ${slug}`);
  expect((await edge.call('DELETE', `/api/v1/api-keys/${revoked.id}`, { token: tenant.owner.token })).status).toBe(204);
  edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token: user.token }), 200);
  const imported = `Imported person of ${slug}`;
  const job = edge.ok(
    await edge.call('POST', '/api/v1/subscriber-imports', {
      token: tenant.owner.token,
      body: `name,email,street,city,country\r\n${imported},imported@${slug}.test,1 Secret Lane,Hidden Town,US\r\n`,
      headers: { 'content-type': 'text/csv' },
    }),
    202,
  );
  expect(job.body.status).toBe('completed');
  const crm = await populateSubscribers(edge, tenant, slug);
  const events = edge.ok(await edge.call('GET', '/api/v1/audit-events?limit=200', { token: tenant.owner.token }), 200)
    .body.data!;
  const markers = [
    ...crm.markers,
    tenant.id,
    slug,
    tenant.owner.id,
    tenant.owner.email,
    user.id,
    user.email,
    secretName,
    key.id,
    key.secret.split('.')[2]!,
    ownerKey.id,
    revoked.id,
    String(job.body.id),
    imported,
    `imported@${slug}.test`,
    ...events.flatMap((e) => [String(e.id), String(e.hash)]),
  ];
  return { tenant, user, key, ownerKey, revokedKeyId: revoked.id, importId: String(job.body.id), crm, markers };
}

/** An organization with a member who has an address, a contact, a tag and a custom field value. */
async function populateSubscribers(edge: TestEdge, tenant: TenantFixture, slug: string) {
  const token = tenant.owner.token;
  const field = edge.ok(
    await edge.call('POST', '/api/v1/custom-fields', {
      token,
      body: { key: 'segment', label: `Segment of ${slug}`, type: 'select', options: [`seg-${slug}`] },
    }),
    201,
  ).body;
  const tag = edge.ok(await edge.call('POST', '/api/v1/tags', { token, body: { name: `Tag of ${slug}` } }), 201).body;
  const org = edge.ok(
    await edge.call('POST', '/api/v1/subscribers', {
      token,
      body: { kind: 'organization', organization_name: `Org of ${slug}` },
    }),
    201,
  ).body;
  const person = edge.ok(
    await edge.call('POST', '/api/v1/subscribers', {
      token,
      body: {
        first_name: `Subscriber of ${slug}`,
        email: `subscriber@${slug}.test`,
        organization_id: org.id,
        custom_fields: { segment: `seg-${slug}` },
        addresses: [{ line1: `Street of ${slug}`, city: `City of ${slug}`, country: 'DE' }],
      },
    }),
    201,
  ).body;
  const id = String(person.id);
  const contact = edge.ok(
    await edge.call('POST', `/api/v1/subscribers/${id}/contacts`, {
      token,
      body: { channel: 'email', value: `contact@${slug}.test` },
    }),
    201,
  ).body;
  expect((await edge.call('PUT', `/api/v1/subscribers/${id}/tags/${String(tag.id)}`, { token })).status).toBe(204);
  // The ids that fill a subscriber route's nested parameters.
  const children = {
    address_id: String((person.addresses as { id: string }[])[0]!.id),
    contact_id: String(contact.id),
    tag_id: String(tag.id),
  };
  return {
    subscriberId: id,
    organizationId: String(org.id),
    fieldId: String(field.id),
    children,
    markers: [
      id,
      String(org.id),
      String(field.id),
      ...Object.values(children),
      `Subscriber of ${slug}`,
      `subscriber@${slug}.test`,
      `Street of ${slug}`,
      `City of ${slug}`,
      `contact@${slug}.test`,
      `Org of ${slug}`,
      `Tag of ${slug}`,
      `seg-${slug}`,
    ],
  };
}

/** A ticket with a comment and an attachment, and a lead: CRM data B must never reach. */
async function populateTickets(edge: TestEdge, p: Populated) {
  const token = p.tenant.owner.token;
  const slug = p.tenant.slug;
  const ticket = edge.ok(
    await edge.call('POST', '/api/v1/tickets', {
      token,
      body: {
        subject: `Ticket subject of ${slug}`,
        description: `Ticket description of ${slug}`,
        assignee_id: p.user.id,
      },
    }),
    201,
  ).body;
  const ticketId = String(ticket.id);
  edge.ok(
    await edge.call('POST', `/api/v1/tickets/${ticketId}/comments`, { token, body: { body: `Comment of ${slug}` } }),
    201,
  );
  const upload = { token, body: `Attachment content of ${slug}`, headers: { 'content-type': 'text/plain' } };
  const attachment = edge.ok(
    await edge.call('POST', `/api/v1/tickets/${ticketId}/attachments?filename=file-of-${slug}.txt`, upload),
    201,
  ).body;
  const attachmentId = String(attachment.id);
  const lead = edge.ok(
    await edge.call('POST', '/api/v1/leads', {
      token,
      body: { first_name: `Lead of ${slug}`, email: `lead@${slug}.test`, source: 'web' },
    }),
    201,
  ).body;
  const leadId = String(lead.id);
  return {
    ticketId,
    attachmentId,
    leadId,
    markers: [
      ticketId,
      `Ticket subject of ${slug}`,
      `Ticket description of ${slug}`,
      `Comment of ${slug}`,
      attachmentId,
      `file-of-${slug}`,
      `Attachment content of ${slug}`,
      String(attachment.sha256),
      leadId,
      `Lead of ${slug}`,
      `lead@${slug}.test`,
    ],
  };
}

/** A tax rate, a policy set, an offer, an add-on and a discount: the catalog B must never reach. */
async function populateCatalog(edge: TestEdge, p: Populated) {
  const token = p.tenant.owner.token;
  const slug = p.tenant.slug;
  const create = async (path: string, body: Record<string, unknown>) =>
    String(edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), 201).body.id);
  const taxRateId = await create('tax-rates', { name: `Tax of ${slug}`, rate: '7.5', mode: 'exclusive' });
  // Not named by the offer, so the positive control may delete it.
  const policySetId = await create('policy-sets', { name: `Policy of ${slug}` });
  const prices = [{ currency: 'USD', amount: 4321 }];
  const offerId = await create('offers', {
    code: `OFFER-${slug}`,
    name: `Offer of ${slug}`,
    service_type: 'residential',
    access_type: 'fiber',
    billing_cycle: 'monthly',
    billing_mode: 'postpaid',
    prices,
    tax_rate_id: taxRateId,
    download_mbps: 100,
    upload_mbps: 20,
  });
  const addonId = await create('addons', {
    code: `ADDON-${slug}`,
    name: `Addon of ${slug}`,
    charge: 'recurring',
    prices,
    tax_rate_id: taxRateId,
  });
  const discountId = await create('discounts', {
    code: `DISCOUNT-${slug}`,
    name: `Discount of ${slug}`,
    kind: 'percent',
    percent: '10',
  });
  edge.ok(
    await edge.call('PATCH', '/api/v1/billing-settings', {
      token,
      body: { default_tax_rate_ids: [taxRateId], throttle_profile: `throttle-of-${slug}` },
    }),
    200,
  );
  const ids = { taxRateId, policySetId, offerId, addonId, discountId };
  return {
    ...ids,
    markers: [
      ...Object.values(ids),
      `Tax of ${slug}`,
      `Policy of ${slug}`,
      `OFFER-${slug}`,
      `Offer of ${slug}`,
      `ADDON-${slug}`,
      `Addon of ${slug}`,
      `DISCOUNT-${slug}`,
      `Discount of ${slug}`,
      `throttle-of-${slug}`,
    ],
  };
}

/**
 * Subscriptions (two active and billed, one pending), their invoices, the organization's
 * payment left as credit and a credit note tied to its invoice (the person's invoice stays
 * untouched, so voidable), a draft credit note, a billing run and a collection run.
 */
async function populateBilling(edge: TestEdge, p: Populated, catalog: Awaited<ReturnType<typeof populateCatalog>>) {
  const token = p.tenant.owner.token;
  const slug = p.tenant.slug;
  const post = async (path: string, body: Record<string, unknown>, status = 201) =>
    edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), status).body;
  const now = new Date(edge.clock.now).toISOString();
  const otherOfferId = String(
    (
      await post('offers', {
        code: `OTHER-${slug}`,
        name: `Other offer of ${slug}`,
        service_type: 'business',
        access_type: 'fiber',
        billing_cycle: 'monthly',
        billing_mode: 'postpaid',
        prices: [{ currency: 'USD', amount: 8642 }],
        download_mbps: 500,
        upload_mbps: 100,
      })
    ).id,
  );
  const subscribe = async (subscriberId: string, username: string) =>
    String(
      (await post('subscriptions', { subscriber_id: subscriberId, offer_id: catalog.offerId, start_at: now, username }))
        .id,
    );
  const activeIds = [
    await subscribe(p.crm.subscriberId, `one@${slug}`),
    await subscribe(p.crm.organizationId, `two@${slug}`),
  ];
  for (const id of activeIds) await post(`subscriptions/${id}/activate`, {}, 200);
  const pendingId = await subscribe(p.crm.subscriberId, `three@${slug}`);
  const billingRunId = String((await post('billing-runs', { as_of: now })).id);
  const invoices = edge.ok(await edge.call('GET', '/api/v1/invoices', { token }), 200).body.data!;
  const invoiceOf = (subscriberId: string) => String(invoices.find((i) => i.subscriber_id === subscriberId)!.id);
  const [personInvoiceId, organizationInvoiceId] = [invoiceOf(p.crm.subscriberId), invoiceOf(p.crm.organizationId)];
  const paymentId = String(
    (
      await post('payments', {
        subscriber_id: p.crm.organizationId,
        amount: 3_000,
        currency: 'USD',
        method: 'cash',
        reference: `Receipt of ${slug}`,
        allocations: [],
      })
    ).id,
  );
  const note = async (invoiceId: string | null) =>
    String(
      (
        await post('credit-notes', {
          subscriber_id: invoiceId ? p.crm.organizationId : p.crm.subscriberId,
          invoice_id: invoiceId,
          reason: `Credit of ${slug}`,
          lines: [{ description: 'Goodwill', amount: 2_500 }],
        })
      ).id,
    );
  const tiedNoteId = await note(organizationInvoiceId);
  await post(`credit-notes/${tiedNoteId}/issue`, {}, 200);
  const draftNoteId = await note(null);
  const collectionRunId = String((await post('collections/runs', { as_of: now })).id);
  const ids = {
    otherOfferId,
    activeId: activeIds[0]!,
    otherActiveId: activeIds[1]!,
    pendingId,
    billingRunId,
    personInvoiceId,
    organizationInvoiceId,
    paymentId,
    tiedNoteId,
    draftNoteId,
    collectionRunId,
  };
  return {
    ...ids,
    markers: [...Object.values(ids), `Other offer of ${slug}`, `Receipt of ${slug}`, `Credit of ${slug}`],
  };
}

/**
 * A webhook endpoint (its secret a marker) and one delivery, fanned out by the outbox but not
 * sent: the target is the discard port on loopback, and nothing runs the sender here.
 */
async function populateWebhooks(edge: TestEdge, p: Populated) {
  const token = p.tenant.owner.token;
  const slug = p.tenant.slug;
  const url = `http://127.0.0.1:9/hooks-of-${slug}`;
  const endpoint = { url, events: ['ticket.created'], description: `Webhook of ${slug}` };
  const created = edge.ok(await edge.call('POST', '/api/v1/webhooks', { token, body: endpoint }), 201).body;
  const endpointId = String(created.id);
  edge.ok(await edge.call('POST', '/api/v1/tickets', { token, body: { subject: `Hooked ticket of ${slug}` } }), 201);
  await asSystemInTenant(edge.platform, slug, 'isolation-fan-out', (ctx) => dispatchOutbox(ctx, outboxConsumers));
  const deliveries = edge.ok(await edge.call('GET', `/api/v1/webhooks/${endpointId}/deliveries`, { token }), 200).body
    .data!;
  const deliveryId = String(deliveries[0]!.id);
  return {
    endpointId,
    deliveryId,
    markers: [endpointId, deliveryId, url, `Webhook of ${slug}`, String(created.secret)],
  };
}

/** Every row of every table of a tenant's database: what "unchanged" means. */
async function dumpTenant(edge: TestEdge, slug: string): Promise<string> {
  const tables = await edge.tenantSql(
    slug,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const dump: Record<string, unknown> = {};
  for (const { name } of tables.rows) {
    // quote() of every column, sorted: also fits WITHOUT ROWID tables and the FTS5 shadow tables' 64-bit ids.
    const columns = (await edge.tenantSql(slug, `SELECT name FROM pragma_table_info('${String(name)}')`)).rows.map(
      (r) => `quote("${String(r.name)}")`,
    );
    dump[String(name)] = (
      await edge.tenantSql(slug, `SELECT ${columns.join(" || ',' || ")} AS row FROM "${String(name)}" ORDER BY 1`)
    ).rows.map((r) => r.row);
  }
  return JSON.stringify(dump);
}

describe('tenant isolation over every route', () => {
  // Long: it logs in, creates users and checks passwords many times, each a 600,000-iteration PBKDF2.
  it(
    'a token of tenant B never reads or changes tenant A, and tenant tokens never pass platform routes',
    { timeout: 300_000 },
    async () => {
      // Every route is probed many times with one API key on a frozen clock: lift its per-minute limit.
      const edge = await startEdge({ API_KEY_RATE_LIMIT: 1_000_000 });
      const a = await populate(edge, 'alpha-isp');
      const b = await populate(edge, 'bravo-isp');
      const [aTickets, bTickets] = [await populateTickets(edge, a), await populateTickets(edge, b)];
      a.markers.push(...aTickets.markers);
      const [aCatalog, bCatalog] = [await populateCatalog(edge, a), await populateCatalog(edge, b)];
      a.markers.push(...aCatalog.markers);
      const [aHooks, bHooks] = [await populateWebhooks(edge, a), await populateWebhooks(edge, b)];
      a.markers.push(...aHooks.markers);
      const [aBilling, bBilling] = [await populateBilling(edge, a, aCatalog), await populateBilling(edge, b, bCatalog)];
      a.markers.push(...aBilling.markers);
      // Bodies that name a record (a plan change's offer, the invoice a credit note applies to) name B's own.
      Object.assign(ownRefs, { offer_id: bBilling.otherOfferId, invoice_id: bBilling.organizationInvoiceId });
      const doc = edge.ok(await edge.call('GET', '/api/v1/openapi.json'), 200).body as unknown as OpenApi;
      const platformToken = await edge.rootToken();

      const routes = enumerateRoutes(edge);
      const unclassified = routes.filter((r) => classify(r) === null).map((r) => `${r.method} ${r.path}`);
      expect(unclassified, 'routes this test cannot classify: extend classify()').toEqual([]);
      const unknownParams = routes.flatMap((r) => {
        const kind = classify(r)!;
        return kind === 'public'
          ? []
          : r.params.filter((p) => !knownParams[kind].has(p)).map((p) => `${r.method} ${r.path} :${p}`);
      });
      expect(unknownParams, 'path parameters this test cannot fill: extend knownParams and the id candidates').toEqual(
        [],
      );
      const tenantRoutes = routes.filter((r) => classify(r) === 'tenant');
      const platformRoutes = routes.filter((r) => classify(r) === 'platform');
      // Guard against an enumeration that silently finds nothing.
      expect(tenantRoutes.length).toBeGreaterThanOrEqual(13);
      expect(platformRoutes.length).toBeGreaterThanOrEqual(4);
      expect(tenantRoutes.filter((r) => r.params.length > 0).length).toBeGreaterThanOrEqual(4);

      const operation = (route: Route) => doc.paths[docPath(route.path)]?.[route.method.toLowerCase()];
      const bodyFor = (route: Route) => {
        const op = operation(route);
        if (!op) throw new Error(`${route.method} ${route.path} is not in the OpenAPI document`);
        const schema = op.requestBody?.content?.['application/json']?.schema;
        return schema ? example(schema, doc, `${route.method} ${route.path}`) : undefined;
      };
      /** A JSON example body, or for a file upload (no JSON body) a small file of its first declared type. */
      const requestFor = (route: Route): { body?: unknown; headers?: Record<string, string> } => {
        const content = operation(route)?.requestBody?.content ?? {};
        const file = Object.entries(content).find(([, c]) => c.schema?.format === 'binary');
        return !content['application/json'] && file
          ? { body: `probe ${unique('')}`, headers: { 'content-type': file[0] } }
          : { body: bodyFor(route) };
      };
      const stringQueryParams = (route: Route) =>
        (operation(route)?.parameters ?? [])
          .filter((p) => p.in === 'query' && p.schema.type === 'string' && !p.schema.enum && !p.schema.format)
          .map((p) => p.name);

      const violations: string[] = [];
      // What the caller sent (an id in the path, say) may be echoed back; anything else of A's is a leak.
      const leaks = (res: CallResult, sent: string[]) => {
        const text = sent.reduce((t, value) => t.replaceAll(value, '<sent>'), res.text);
        return a.markers.filter((m) => text.includes(m));
      };
      const check = (label: string, res: CallResult, ok: (status: number) => boolean, sent: string[] = []) => {
        if (!ok(res.status)) violations.push(`${label} → ${res.status} ${res.text.slice(0, 200)}`);
        const found = leaks(res, sent);
        if (found.length) violations.push(`${label} leaked A's ${found.map((m) => m.slice(0, 12)).join(', ')}`);
      };

      const aBefore = await dumpTenant(edge, a.tenant.slug);
      const control = await edge.platform.databases.control();
      const tenantRow = async (id: string) =>
        JSON.stringify((await control.execute({ sql: 'SELECT * FROM tenants WHERE id = ?', args: [id] })).rows);
      const aTenantBefore = await tenantRow(a.tenant.id);

      // A's identifiers, each paired with B's identifier of the same kind (for the positive control).
      const candidates: [string, string, string][] = [
        ['owner', a.tenant.owner.id, b.tenant.owner.id],
        ['user', a.user.id, b.user.id],
        ['api key', a.key.id, b.key.id],
        ['owner api key', a.ownerKey.id, b.ownerKey.id],
        ['revoked api key', a.revokedKeyId, b.revokedKeyId],
        ['tenant', a.tenant.id, b.tenant.id],
        ['subscriber import', a.importId, b.importId],
        ['subscriber', a.crm.subscriberId, b.crm.subscriberId],
        ['organization', a.crm.organizationId, b.crm.organizationId],
        ['custom field', a.crm.fieldId, b.crm.fieldId],
        ['tag', a.crm.children.tag_id, b.crm.children.tag_id],
      ];
      // Nested ids (a subscriber's address, contact, tag) always come from the same tenant as the path's id.
      const randomChildren = () => ({
        address_id: crypto.randomUUID(),
        contact_id: crypto.randomUUID(),
        tag_id: crypto.randomUUID(),
      });
      candidates.push(
        ['ticket', aTickets.ticketId, bTickets.ticketId],
        ['ticket attachment', aTickets.attachmentId, bTickets.attachmentId],
        ['lead', aTickets.leadId, bTickets.leadId],
      );
      candidates.push(
        ['webhook endpoint', aHooks.endpointId, bHooks.endpointId],
        ['webhook delivery', aHooks.deliveryId, bHooks.deliveryId],
      );
      candidates.push(
        ['tax rate', aCatalog.taxRateId, bCatalog.taxRateId],
        ['policy set', aCatalog.policySetId, bCatalog.policySetId],
        ['offer', aCatalog.offerId, bCatalog.offerId],
        ['add-on', aCatalog.addonId, bCatalog.addonId],
        ['discount', aCatalog.discountId, bCatalog.discountId],
      );
      for (const [kind, key] of [
        ['active subscription', 'activeId'],
        ['other active subscription', 'otherActiveId'],
        ['pending subscription', 'pendingId'],
        ['billing run', 'billingRunId'],
        ['invoice', 'personInvoiceId'],
        ['other invoice', 'organizationInvoiceId'],
        ['payment', 'paymentId'],
        ['tied credit note', 'tiedNoteId'],
        ['draft credit note', 'draftNoteId'],
        ['collection run', 'collectionRunId'],
        ['other offer', 'otherOfferId'],
      ] as const) {
        candidates.push([kind, aBilling[key], bBilling[key]]);
      }
      const bTokens: [string, string][] = [
        ['B owner token', b.tenant.owner.token],
        ['B owner API key', b.ownerKey.secret],
      ];

      for (const route of tenantRoutes) {
        const name = `${route.method} ${route.path}`;
        const body = () => requestFor(route);
        const anyPath = fill(route.path, { ...randomChildren(), id: crypto.randomUUID() });
        // No credentials, or platform credentials, never reach a tenant's data.
        check(`${name} without a token`, await edge.call(route.method, anyPath, { ...body() }), (s) => s === 401);
        check(
          `${name} with a platform token`,
          await edge.call(route.method, anyPath, { token: platformToken, ...body() }),
          (s) => s === 403,
        );

        for (const [who, token] of bTokens) {
          if (route.params.length > 0) {
            for (const [kind, aId] of candidates) {
              const attack = await edge.call(route.method, fill(route.path, { ...a.crm.children, id: aId }), {
                token,
                ...body(),
              });
              // Indistinguishable from an id that exists nowhere: same status, same code, never success.
              const baseline = await edge.call(
                route.method,
                fill(route.path, { ...randomChildren(), id: crypto.randomUUID() }),
                { token, ...body() },
              );
              check(
                `${name} by ${who} with A's ${kind} id`,
                attack,
                (s) =>
                  [400, 403, 404].includes(s) && s === baseline.status && attack.body?.code === baseline.body?.code,
                [aId, ...Object.values(a.crm.children)],
              );
            }
            if (route.params.length > 1) {
              // A's address, contact or tag under B's own subscriber.
              const attack = await edge.call(
                route.method,
                fill(route.path, { ...a.crm.children, id: b.crm.subscriberId }),
                { token, ...body() },
              );
              const baseline = await edge.call(
                route.method,
                fill(route.path, { ...randomChildren(), id: b.crm.subscriberId }),
                { token, ...body() },
              );
              check(
                `${name} by ${who} with A's nested ids`,
                attack,
                (s) =>
                  [400, 403, 404].includes(s) && s === baseline.status && attack.body?.code === baseline.body?.code,
                Object.values(a.crm.children),
              );
            }
          } else {
            check(`${name} by ${who}`, await edge.call(route.method, route.path, { token, ...body() }), (s) => s < 500);
            for (const param of stringQueryParams(route)) {
              for (const [kind, aId] of candidates) {
                const path = `${route.path}?${param}=${encodeURIComponent(aId)}`;
                check(
                  `${name}?${param}=<A's ${kind} id> by ${who}`,
                  await edge.call(route.method, path, { token, ...body() }),
                  (s) => s < 500,
                  [aId],
                );
              }
            }
          }
        }
      }

      for (const route of platformRoutes) {
        const name = `${route.method} ${route.path}`;
        for (const slug of [a.tenant.slug, b.tenant.slug]) {
          const path = fill(route.path, { slug });
          for (const [who, token] of [
            ['A owner token', a.tenant.owner.token],
            ['A owner API key', a.ownerKey.secret],
            ['B owner token', b.tenant.owner.token],
            ['B owner API key', b.ownerKey.secret],
          ] as const) {
            check(
              `${name} (${slug}) by ${who}`,
              await edge.call(route.method, path, { token, body: bodyFor(route) }),
              (s) => s === 403,
              [slug],
            );
          }
          check(
            `${name} (${slug}) without a token`,
            await edge.call(route.method, path, { body: bodyFor(route) }),
            (s) => s === 401,
            [slug],
          );
        }
      }

      for (const route of routes.filter(
        (r) => classify(r) === 'public' && r.method === 'GET' && r.params.length === 0,
      )) {
        check(
          `public ${route.method} ${route.path}`,
          await edge.call('GET', route.path, { token: b.tenant.owner.token }),
          (s) => s === 200,
        );
      }

      expect(violations).toEqual([]);
      // Not one byte of A's database changed, and A is still active.
      expect(await dumpTenant(edge, a.tenant.slug)).toBe(aBefore);
      expect(await tenantRow(a.tenant.id)).toBe(aTenantBefore);
      expect(edge.ok(await edge.call('GET', '/api/v1/me', { token: a.key.secret }), 200).body.id).toBe(a.key.id);
      expect(
        edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token: a.tenant.owner.token }), 200).body.valid,
      ).toBe(true);

      // Positive control: the id routes do find B's own resources, so the 404s above are isolation,
      // not routes that never find anything. Reads first, deletions last. B's owner API key
      // drives it: a password set by the PATCH probe would revoke the owner's token midway.
      const order = ['GET', 'PATCH', 'PUT', 'POST', 'DELETE'];
      // A GDPR erase removes the subscriber's addresses and contacts: it runs after the deletions.
      // So does converting a lead: the new subscriber must satisfy B's custom fields, which the
      // PATCH probe made required with random options until the DELETE probe removes them.
      const erasesLast = (r: Route) =>
        r.path.endsWith('/erase') || r.path === '/api/v1/leads/:id/convert'
          ? order.indexOf('DELETE') - order.indexOf('POST') + 0.5
          : 0;
      // Ending things comes after the other actions, which need them alive (a plan change, a
      // credit note's application): voiding and writing off documents, then canceling
      // subscriptions, whose credit for unused days would otherwise pay the invoice to void.
      const endsLast = (r: Route) =>
        r.method !== 'POST' ? 0 : /\/(void|write-off)$/.test(r.path) ? 0.2 : r.path.endsWith('/cancel') ? 0.3 : 0;
      // Revoking API keys comes last of all: one of B's ids is the key driving this control.
      const rank = (r: Route) =>
        order.indexOf(r.method) +
        erasesLast(r) +
        endsLast(r) +
        (r.path.startsWith('/api/v1/api-keys/') ? order.length : 0);
      const idRoutes = tenantRoutes.filter((r) => r.params.length > 0).sort((x, y) => rank(x) - rank(y));
      for (const route of idRoutes) {
        const statuses: number[] = [];
        for (const [, , bId] of candidates)
          statuses.push(
            (
              await edge.call(route.method, fill(route.path, { ...b.crm.children, id: bId }), {
                token: b.ownerKey.secret,
                ...requestFor(route),
              })
            ).status,
          );
        expect(
          statuses.some((s) => s >= 200 && s < 300),
          `${route.method} ${route.path} never succeeds for B's own ids: ${statuses.join(',')}`,
        ).toBe(true);
      }
    },
  );

  it('the classifier refuses what it does not know', () => {
    expect(classify({ method: 'GET', path: '/webhooks/stripe', params: [] })).toBeNull();
    expect(classify({ method: 'POST', path: '/api/docs', params: [] })).toBeNull();
    expect(classify({ method: 'GET', path: '/api/v1/subscribers/:id', params: ['id'] })).toBe('tenant');
  });
});
