import { z } from '@hono/zod-openapi';

/** Bytes as the NAS counts them: gigawords already folded in (RFC 2869 §5.1–5.2), so far above 2^32. */
const Octets = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ example: 5_368_709_120 });

/**
 * One accounting record as the appliance reports it: a session's traffic over
 * [start, end). The reporter's id makes the batch idempotent. Rows are checked one by one
 * (a bad row is reported, the rest of the batch is kept), so this is not the body's schema.
 */
export const UsageRecordInput = z
  .strictObject({
    id: z.string().min(1).max(200).openapi({
      description: "The reporter's id of this record; a record seen before is a duplicate",
      example: 'nas1:5f3a2c:interim-0042',
    }),
    subscription_id: z.uuid().optional().openapi({ description: 'The subscription, or give its username' }),
    username: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .openapi({ description: 'The RADIUS login of a live subscription', example: 'jane@fiber' }),
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    input_octets: Octets,
    output_octets: Octets,
  })
  .superRefine((record, ctx) => {
    if ((record.subscription_id === undefined) === (record.username === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['subscription_id'],
        message: 'give exactly one of subscription_id and username',
      });
    if (Date.parse(record.end) < Date.parse(record.start))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must not be before start' });
    if (record.input_octets + record.output_octets > Number.MAX_SAFE_INTEGER)
      ctx.addIssue({ code: 'custom', path: ['output_octets'], message: 'input_octets + output_octets is too large' });
  })
  .openapi('UsageRecordInput');
export type UsageRecordInput = z.infer<typeof UsageRecordInput>;

export const maxUsageBatch = 5_000;
