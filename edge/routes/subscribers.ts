import { z } from '@hono/zod-openapi';
import { addressKinds, contactChannels, subscriberKinds, subscriberStatuses } from '../../db/tenant/index.ts';
import { addAddress, listAddresses, removeAddress, updateAddress } from '../services/subscribers/manage-addresses.ts';
import { addContact, listContacts, removeContact, updateContact } from '../services/subscribers/manage-contacts.ts';
import {
  archiveSubscriber,
  createSubscriber,
  getSubscriber,
  listMembers,
  listSubscribers,
  restoreSubscriber,
  updateSubscriber,
} from '../services/subscribers/manage-subscribers.ts';
import { attachTag, detachTag, listSubscriberTags } from '../services/subscribers/manage-tags.ts';
import { eraseSubscriber } from '../services/subscribers/erase-subscriber.ts';
import { exportSubscriber } from '../services/subscribers/export-subscriber.ts';
import {
  AddressCreate,
  AddressPatch,
  ContactCreate,
  ContactPatch,
  SubscriberCreate,
  SubscriberPatch,
} from '../services/subscribers/subscriber-input.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { Tag } from './tags.ts';

export const Subscriber = z
  .object({
    id: z.string(),
    subscriber_number: z.string().openapi({ example: 'SUB-000042' }),
    kind: z.enum(subscriberKinds),
    status: z.enum(subscriberStatuses).openapi({
      description:
        'Derived: delinquent while an overdue collection case is open, else canceled once every subscription ended, ' +
        'suspended while none is pending or active, else active',
    }),
    display_name: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    organization_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    locale: z.string().nullable(),
    timezone: z.string().nullable(),
    organization_id: z.string().nullable(),
    billing_day: z.number().int().nullable(),
    payment_due_days: z.number().int(),
    grace_days: z.number().int(),
    min_balance: z.number().int(),
    tax_rate_id: z.string().nullable(),
    marketing_opt_in: z.boolean(),
    notes: z.string().nullable(),
    custom_fields: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
    erased_at: z.string().nullable(),
  })
  .openapi('Subscriber');

const Address = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    kind: z.enum(addressKinds),
    is_primary: z.boolean(),
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string(),
    region: z.string().nullable(),
    postal_code: z.string().nullable(),
    country: z.string(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    tax_rate_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Address');

const Contact = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    channel: z.enum(contactChannels),
    value: z.string(),
    label: z.string().nullable(),
    opt_in: z.boolean(),
    verified: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Contact');

// The first 50 of each nested list (services/subscribers embeddedPerList); the rest are paged.
const SubscriberDetail = Subscriber.extend({
  addresses: z.array(Address),
  addresses_next_cursor: z
    .string()
    .nullable()
    .openapi({ description: 'Set when more than the first 50 addresses are there: the cursor of GET …/addresses' }),
  contacts: z.array(Contact),
  contacts_next_cursor: z
    .string()
    .nullable()
    .openapi({ description: 'Set when more than the first 50 contacts are there: the cursor of GET …/contacts' }),
  tags: z.array(Tag),
  tags_next_cursor: z
    .string()
    .nullable()
    .openapi({ description: 'Set when more than the first 50 tags are there: the cursor of GET …/tags' }),
}).openapi('SubscriberDetail');

const SubscriberExport = z
  .object({
    exported_at: z.string(),
    subscriber: SubscriberDetail,
    organization: z.object({ id: z.string(), subscriber_number: z.string(), display_name: z.string() }).nullable(),
    members: z.array(z.object({ id: z.string(), subscriber_number: z.string(), display_name: z.string() })),
    audit_events: z.array(z.record(z.string(), z.unknown())),
    domain_events: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        payload: z.record(z.string(), z.unknown()),
        occurred_at: z.string(),
      }),
    ),
  })
  .openapi('SubscriberExport');

const ListQuery = Pagination.extend({
  q: z.string().trim().min(1).max(200).optional().openapi({
    description: 'Full-text prefix search over names, email, phone digits, number, addresses and contacts',
  }),
  status: z.enum(subscriberStatuses).optional(),
  kind: z.enum(subscriberKinds).optional(),
  created_from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Created at or after (inclusive)' }),
  created_to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Created before (exclusive)' }),
  city: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'Has an address in this city (case-insensitive)' }),
  tag: z.uuid().optional().openapi({ description: 'Has this tag' }),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
  ...ListFormat.shape,
});

const csvColumns = [
  'subscriber_number',
  'kind',
  'status',
  'display_name',
  'first_name',
  'last_name',
  'organization_name',
  'email',
  'phone',
  'locale',
  'timezone',
  'billing_day',
  'payment_due_days',
  'grace_days',
  'min_balance',
  'marketing_opt_in',
  'created_at',
  'archived_at',
  'id',
] as const;

const addressCsvColumns = [
  'kind',
  'is_primary',
  'line1',
  'line2',
  'city',
  'region',
  'postal_code',
  'country',
  'latitude',
  'longitude',
  'tax_rate_id',
  'created_at',
  'updated_at',
  'id',
] as const;
const contactCsvColumns = [
  'channel',
  'value',
  'label',
  'opt_in',
  'verified',
  'created_at',
  'updated_at',
  'id',
] as const;

const AddressParams = IdParam.extend({ address_id: z.uuid().openapi({ param: { name: 'address_id', in: 'path' } }) });
const ContactParams = IdParam.extend({ contact_id: z.uuid().openapi({ param: { name: 'contact_id', in: 'path' } }) });
const TagParams = IdParam.extend({ tag_id: z.uuid().openapi({ param: { name: 'tag_id', in: 'path' } }) });
const tags = ['subscribers'];

export const subscribersRouter = createRouter()
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscribers',
      operationId: 'listSubscribers',
      summary: 'List or search subscribers',
      tags,
      request: { query: ListQuery },
      responses: {
        200: listResponse(Subscriber, 'Subscribers, newest first; with format=csv every matching row as CSV'),
      },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listSubscribers, { filename: 'subscribers.csv', columns: csvColumns }),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/subscribers',
      operationId: 'createSubscriber',
      summary: 'Create a subscriber',
      tags,
      request: { body: body(SubscriberCreate) },
      responses: { 201: json(SubscriberDetail, 'The new subscriber') },
    }),
    async (c) => c.json(await createSubscriber({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}',
      operationId: 'getSubscriber',
      summary: 'Get a subscriber',
      tags,
      request: { params: IdParam },
      responses: { 200: json(SubscriberDetail, 'The subscriber') },
    }),
    async (c) => c.json(await getSubscriber({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'patch',
      path: '/api/v1/subscribers/{id}',
      operationId: 'updateSubscriber',
      summary: 'Update a subscriber',
      tags,
      request: { params: IdParam, body: body(SubscriberPatch) },
      responses: { 200: json(SubscriberDetail, 'The updated subscriber') },
    }),
    async (c) =>
      c.json(
        await updateSubscriber({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'delete',
      path: '/api/v1/subscribers/{id}',
      operationId: 'archiveSubscriber',
      summary: 'Archive a subscriber',
      tags,
      request: { params: IdParam },
      responses: { 204: { description: 'Archived (restorable)' } },
    }),
    async (c) => {
      await archiveSubscriber({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/subscribers/{id}/restore',
      operationId: 'restoreSubscriber',
      summary: 'Restore an archived subscriber',
      tags,
      request: { params: IdParam },
      responses: { 200: json(SubscriberDetail, 'The restored subscriber') },
    }),
    async (c) => c.json(await restoreSubscriber({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('subscribers:erase', {
      method: 'post',
      path: '/api/v1/subscribers/{id}/erase',
      operationId: 'eraseSubscriber',
      summary: "Erase a subscriber's personal data (GDPR)",
      tags,
      description:
        'GDPR erasure: irreversibly removes personal data, keeping the row, its number and financial records',
      request: { params: IdParam },
      responses: { 204: { description: 'Erased' } },
    }),
    async (c) => {
      await eraseSubscriber({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  )
  .openapi(
    tenantRoute('subscribers:export', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/export',
      operationId: 'exportSubscriber',
      summary: 'Export everything held about a subscriber',
      tags,
      description: 'GDPR access/portability: everything held about the subscriber',
      request: { params: IdParam },
      responses: { 200: json(SubscriberExport, 'Everything held about the subscriber') },
    }),
    async (c) => {
      const data = await exportSubscriber({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      c.header('content-disposition', `attachment; filename="${data.subscriber.subscriber_number}.json"`);
      return c.json(data, 200);
    },
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/members',
      operationId: 'listOrganizationMembers',
      summary: "List an organization's members",
      tags,
      description: 'Newest first, like the subscribers list; `?format=csv` in its columns.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Subscriber, 'The persons of an organization') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), ...c.req.valid('param') }, listMembers, {
        filename: 'members.csv',
        columns: csvColumns,
      }),
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/addresses',
      operationId: 'listSubscriberAddresses',
      summary: "List a subscriber's addresses",
      tags,
      description: 'By kind, then oldest first.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Address, 'Addresses') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), ...c.req.valid('param') }, listAddresses, {
        filename: 'addresses.csv',
        columns: addressCsvColumns,
      }),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/subscribers/{id}/addresses',
      operationId: 'createSubscriberAddress',
      summary: 'Add an address to a subscriber',
      tags,
      request: { params: IdParam, body: body(AddressCreate) },
      responses: { 201: json(Address, 'The new address') },
    }),
    async (c) =>
      c.json(
        await addAddress({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, address: c.req.valid('json') },
        }),
        201,
      ),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'patch',
      path: '/api/v1/subscribers/{id}/addresses/{address_id}',
      operationId: 'updateSubscriberAddress',
      summary: "Update a subscriber's address",
      tags,
      request: { params: AddressParams, body: body(AddressPatch) },
      responses: { 200: json(Address, 'The updated address') },
    }),
    async (c) => {
      const { id, address_id } = c.req.valid('param');
      return c.json(
        await updateAddress({
          ctx: c.get('tenantCtx'),
          input: { id, addressId: address_id, patch: c.req.valid('json') },
        }),
        200,
      );
    },
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'delete',
      path: '/api/v1/subscribers/{id}/addresses/{address_id}',
      operationId: 'deleteSubscriberAddress',
      summary: "Remove a subscriber's address",
      tags,
      request: { params: AddressParams },
      responses: { 204: { description: 'Removed' } },
    }),
    async (c) => {
      const { id, address_id } = c.req.valid('param');
      await removeAddress({ ctx: c.get('tenantCtx'), input: { id, addressId: address_id } });
      return c.body(null, 204);
    },
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/contacts',
      operationId: 'listSubscriberContacts',
      summary: "List a subscriber's contacts",
      tags,
      description: 'Oldest first.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Contact, 'Contacts') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), ...c.req.valid('param') }, listContacts, {
        filename: 'contacts.csv',
        columns: contactCsvColumns,
      }),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/subscribers/{id}/contacts',
      operationId: 'createSubscriberContact',
      summary: 'Add a contact to a subscriber',
      tags,
      request: { params: IdParam, body: body(ContactCreate) },
      responses: { 201: json(Contact, 'The new contact') },
    }),
    async (c) =>
      c.json(
        await addContact({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, contact: c.req.valid('json') },
        }),
        201,
      ),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'patch',
      path: '/api/v1/subscribers/{id}/contacts/{contact_id}',
      operationId: 'updateSubscriberContact',
      summary: "Update a subscriber's contact",
      tags,
      request: { params: ContactParams, body: body(ContactPatch) },
      responses: { 200: json(Contact, 'The updated contact') },
    }),
    async (c) => {
      const { id, contact_id } = c.req.valid('param');
      return c.json(
        await updateContact({
          ctx: c.get('tenantCtx'),
          input: { id, contactId: contact_id, patch: c.req.valid('json') },
        }),
        200,
      );
    },
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'delete',
      path: '/api/v1/subscribers/{id}/contacts/{contact_id}',
      operationId: 'deleteSubscriberContact',
      summary: "Remove a subscriber's contact",
      tags,
      request: { params: ContactParams },
      responses: { 204: { description: 'Removed' } },
    }),
    async (c) => {
      const { id, contact_id } = c.req.valid('param');
      await removeContact({ ctx: c.get('tenantCtx'), input: { id, contactId: contact_id } });
      return c.body(null, 204);
    },
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/tags',
      operationId: 'listSubscriberTags',
      summary: "List a subscriber's tags",
      tags,
      description: 'By name.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Tag, 'Tags') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), ...c.req.valid('param') }, listSubscriberTags, {
        filename: 'subscriber-tags.csv',
        columns: ['name', 'color', 'created_at', 'id'] as const,
      }),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'put',
      path: '/api/v1/subscribers/{id}/tags/{tag_id}',
      operationId: 'attachSubscriberTag',
      summary: 'Attach a tag to a subscriber',
      tags,
      request: { params: TagParams },
      responses: { 204: { description: 'Attached' } },
    }),
    async (c) => {
      const { id, tag_id } = c.req.valid('param');
      await attachTag({ ctx: c.get('tenantCtx'), input: { id, tagId: tag_id } });
      return c.body(null, 204);
    },
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'delete',
      path: '/api/v1/subscribers/{id}/tags/{tag_id}',
      operationId: 'detachSubscriberTag',
      summary: 'Detach a tag from a subscriber',
      tags,
      request: { params: TagParams },
      responses: { 204: { description: 'Detached' } },
    }),
    async (c) => {
      const { id, tag_id } = c.req.valid('param');
      await detachTag({ ctx: c.get('tenantCtx'), input: { id, tagId: tag_id } });
      return c.body(null, 204);
    },
  );
