import { z } from '@hono/zod-openapi';
import { BillingSettingsPatch } from '../services/catalog/catalog-input.ts';
import { getBillingSettings, updateBillingSettings } from '../services/catalog/billing-settings.ts';
import { body, createRouter, json, tenantRoute } from './common.ts';

const tags = ['billing'];

const BillingSettings = z
  .object({
    default_tax_rate_ids: z
      .array(z.string())
      .openapi({ description: 'Applied, in order, where an offer or add-on names no tax rate' }),
    default_policy_set_id: z.string().nullable(),
    throttle_profile: z.string(),
    suspended_profile: z.string().nullable(),
    enforcement_start_hour: z.number().int(),
    enforcement_end_hour: z
      .number()
      .int()
      .openapi({ description: 'Exclusive; prepaid enforcement runs in [start, end) local hours' }),
    updated_at: z.string(),
  })
  .openapi('BillingSettings');

export const billingSettingsRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/billing-settings',
      operationId: 'getBillingSettings',
      summary: "Get the tenant's billing settings",
      tags,
      responses: { 200: json(BillingSettings, 'The billing settings (defaults until first changed)') },
    }),
    async (c) => c.json(await getBillingSettings({ ctx: c.get('tenantCtx') }), 200),
  )
  .openapi(
    tenantRoute('settings:write', {
      method: 'patch',
      path: '/api/v1/billing-settings',
      operationId: 'updateBillingSettings',
      summary: "Update the tenant's billing settings",
      tags,
      description:
        'Default tax rates (at most 5, live) and policy set must exist (else 422); the enforcement window must not ' +
        'be empty.',
      request: { body: body(BillingSettingsPatch) },
      responses: { 200: json(BillingSettings, 'The updated billing settings') },
    }),
    async (c) => c.json(await updateBillingSettings({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 200),
  );
