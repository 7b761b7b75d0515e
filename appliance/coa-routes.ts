// The operators' CoA commands on the local HTTP port: POST /coa/disconnect,
// POST /coa/change and POST /coa/throttle (behind the control token, http-server.ts).
// Bodies are validated here with zod; the answer is the client's typed result as JSON
// (200 whatever the NAS said: ack, nak or timeout are results). The HTTP side imports
// the CoA client, never the other way round.
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import type { JsonResponse, PostHandler } from './http-server.ts';
import type { CoaClient } from './radius/coa/index.ts';
import { parsePrefix } from './replica/index.ts';

const text = z.string().min(1).max(253);
const ipv4 = z.string().refine((value) => isIPv4(value), { message: 'expected an IPv4 address' });
const ipv6 = z.string().refine((value) => isIPv6(value), { message: 'expected an IPv6 address' });
const ipv6Prefix = z
  .string()
  .refine((value) => parsePrefix(value)?.family === 6, { message: 'expected an IPv6 prefix' });
const kbps = z.int().min(0).max(100_000_000);
const seconds = z
  .int()
  .min(1)
  .max(2 ** 31 - 1);

// RFC 5176 §3 identification attributes.
const sessionSchema = z
  .strictObject({
    userName: text.optional(),
    acctSessionId: text.optional(),
    acctMultiSessionId: text.optional(),
    framedIpAddress: ipv4.optional(),
    framedIpv6Prefix: ipv6Prefix.optional(),
    callingStationId: text.optional(),
    calledStationId: text.optional(),
    nasPort: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    nasPortId: text.optional(),
    chargeableUserIdentity: text.optional(),
  })
  .refine((session) => Object.values(session).some((value) => value !== undefined), {
    message: 'identify the session with at least one attribute (RFC 5176 §3)',
  });

const nasIdentificationSchema = z.strictObject({
  nasIpAddress: ipv4.optional(),
  nasIpv6Address: ipv6.optional(),
  nasIdentifier: text.optional(),
});

const targetShape = {
  nasId: text.optional(),
  nasAddress: z
    .string()
    .refine((value) => isIPv4(value) || isIPv6(value), { message: 'expected an IP address' })
    .optional(),
  port: z.int().min(1).max(65_535).optional(),
  session: sessionSchema,
  nas: nasIdentificationSchema.optional(),
};
const hasNas = {
  check: (target: { nasId?: string; nasAddress?: string }) =>
    target.nasId !== undefined || target.nasAddress !== undefined,
  message: 'give nasId or nasAddress',
};

const rateLimitSchema = z.strictObject({
  uploadKbps: kbps,
  downloadKbps: kbps,
  burst: z
    .strictObject({
      uploadKbps: kbps,
      downloadKbps: kbps,
      thresholdUploadKbps: kbps,
      thresholdDownloadKbps: kbps,
      timeUploadSeconds: seconds,
      timeDownloadSeconds: seconds,
    })
    .optional(),
  priority: z.int().min(1).max(8).optional(),
  minimum: z.strictObject({ uploadKbps: kbps, downloadKbps: kbps }).optional(),
  policy: z
    .strictObject({
      input: text.optional(),
      output: text.optional(),
      qosProfile: text.optional(),
      service: text.optional(),
    })
    .optional(),
});

const changeSchema = z
  .strictObject({
    rateLimit: rateLimitSchema.optional(),
    sessionTimeout: seconds.optional(),
    idleTimeout: seconds.optional(),
    filterId: text.optional(),
    attributes: z
      .array(
        z.strictObject({
          attribute: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected a dictionary attribute name' }),
          value: z.union([z.string().max(253), z.number()]),
          tag: z.int().min(0).max(31).optional(),
        }),
      )
      .max(64)
      .optional(),
  })
  .refine((change) => Object.values(change).some((value) => value !== undefined), { message: 'nothing to change' });

const disconnectBody = z.union([
  z.strictObject({ username: text }),
  z.strictObject(targetShape).refine(hasNas.check, { message: hasNas.message }),
]);

const changeBody = z.union([
  z.strictObject({ username: text, change: changeSchema }),
  z.strictObject({ ...targetShape, change: changeSchema }).refine(hasNas.check, { message: hasNas.message }),
]);

const throttleBody = z.strictObject({ username: text, change: changeSchema });

function invalid(error: z.ZodError): JsonResponse {
  return {
    status: 400,
    body: {
      type: 'about:blank',
      title: 'Invalid request body',
      status: 400,
      detail: z.prettifyError(error),
      issues: error.issues,
    },
  };
}

// Commands by username need the spool's live sessions: while the spool is down
// (README, Spool down) they cannot be found, which is the service's state, not the
// request's fault.
const spoolDown =
  (handler: PostHandler): PostHandler =>
  async (body) => {
    try {
      return await handler(body);
    } catch (error) {
      if ((error as Error | null)?.name !== 'SpoolUnavailableError') throw error;
      const detail = 'The spool cannot list live sessions right now (see /health); retry later.';
      return { status: 503, body: { type: 'about:blank', title: 'Spool unavailable', status: 503, detail } };
    }
  };

/** POST routes for http-server.ts. */
export function createCoaRoutes(client: CoaClient): ReadonlyMap<string, PostHandler> {
  const disconnect: PostHandler = async (body) => {
    const parsed = disconnectBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const input = parsed.data;
    const result =
      'username' in input ? await client.disconnectSubscriber(input.username) : await client.disconnect(input);
    return { status: 200, body: result };
  };
  const change: PostHandler = async (body) => {
    const parsed = changeBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const { change: what, ...input } = parsed.data;
    const result =
      'username' in input
        ? await client.changeSubscriber(input.username, what)
        : await client.changeAuthorization(input, what);
    return { status: 200, body: result };
  };
  const throttle: PostHandler = async (body) => {
    const parsed = throttleBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    return { status: 200, body: await client.throttleSubscriber(parsed.data.username, parsed.data.change) };
  };
  return new Map([
    ['/coa/disconnect', spoolDown(disconnect)],
    ['/coa/change', spoolDown(change)],
    ['/coa/throttle', spoolDown(throttle)],
  ]);
}
