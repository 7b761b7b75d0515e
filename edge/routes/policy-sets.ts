import { z } from '@hono/zod-openapi';
import { changeInvoiceTimings, dunningActions, refundPolicies } from '../../db/tenant/index.ts';
import { PolicySetCreate, PolicySetPatch } from '../services/catalog/catalog-input.ts';
import {
  createPolicySet,
  deletePolicySet,
  getPolicySet,
  listPolicySets,
  policySetCsvColumns,
  updatePolicySet,
} from '../services/catalog/manage-policy-sets.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { PriceList } from './offers.ts';

const tags = ['billing'];

const PolicySet = z
  .object({
    id: z.string(),
    name: z.string(),
    proration: z.boolean(),
    refund_policy: z.enum(refundPolicies),
    change_invoice_timing: z.enum(changeInvoiceTimings),
    upgrade_fees: PriceList,
    downgrade_fees: PriceList,
    min_invoice_amount: z.number().int(),
    dunning_steps: z.array(z.object({ day_offset: z.number().int(), action: z.enum(dunningActions) })),
    grace_days: z.number().int(),
    prepaid_grace_days: z.number().int(),
    prepaid_deactivation_days: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('PolicySet');

const PolicySetQuery = Pagination.extend(ListFormat.shape);

export const policySetsRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/policy-sets',
      operationId: 'listPolicySets',
      summary: 'List billing policy sets',
      tags,
      description: 'By name. `?format=csv` returns every policy set.',
      request: { query: PolicySetQuery },
      responses: {
        200: listResponse(PolicySet, 'Policy sets'),
      },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listPolicySets, { filename: 'policy-sets.csv', columns: policySetCsvColumns }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/policy-sets',
      operationId: 'createPolicySet',
      summary: 'Create a billing policy set',
      tags,
      description:
        'Omitted fields take the defaults: proration on, refunds as credit, plan changes invoiced at once, no fees, ' +
        'dunning notify 7 / throttle 14 / suspend 21 / reject 30 days, grace 0, prepaid grace 3 and ' +
        'deactivation 30 days.',
      request: { body: body(PolicySetCreate) },
      responses: { 201: json(PolicySet, 'The new policy set') },
    }),
    async (c) => c.json(await createPolicySet({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/policy-sets/{id}',
      operationId: 'getPolicySet',
      summary: 'Get a billing policy set',
      tags,
      request: { params: IdParam },
      responses: { 200: json(PolicySet, 'The policy set') },
    }),
    async (c) => c.json(await getPolicySet({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'patch',
      path: '/api/v1/policy-sets/{id}',
      operationId: 'updatePolicySet',
      summary: 'Update a billing policy set',
      tags,
      request: { params: IdParam, body: body(PolicySetPatch) },
      responses: { 200: json(PolicySet, 'The updated policy set') },
    }),
    async (c) =>
      c.json(
        await updatePolicySet({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'delete',
      path: '/api/v1/policy-sets/{id}',
      operationId: 'deletePolicySet',
      summary: 'Delete a billing policy set',
      tags,
      description: 'Deletes the policy set; 409 while an offer (archived ones too) or the billing settings name it.',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deletePolicySet({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
