// One dispatch switch over packet codes, one file per packet type (aedes-style).
// Requests arrive here decoded, from a known NAS, with verified signatures.
import { PacketCode } from '../protocol.ts';
import type { RequestType } from '../server/counters.ts';
import { handleAccessRequest } from './access-request.ts';
import { handleAccountingRequest } from './accounting-request.ts';
import type { HandlerContext, HandlerOutcome, IncomingRequest, PortKind } from './context.ts';
import { handleStatusServer } from './status-server.ts';

export type { HandlerContext, HandlerOutcome, IncomingRequest, PortKind } from './context.ts';

/** Which request type `code` is on `port`, or null when this port does not serve it. */
export function requestType(code: number, port: PortKind): RequestType | null {
  switch (code) {
    case PacketCode.accessRequest:
      return port === 'auth' ? 'access' : null;
    case PacketCode.accountingRequest:
      return port === 'acct' ? 'accounting' : null;
    case PacketCode.statusServer:
      return 'status';
    default:
      return null;
  }
}

export function dispatch(
  ctx: HandlerContext,
  request: IncomingRequest,
  type: RequestType,
  port: PortKind,
): HandlerOutcome | Promise<HandlerOutcome> {
  switch (type) {
    case 'access':
      return handleAccessRequest(ctx, request);
    case 'accounting':
      return handleAccountingRequest(ctx, request);
    case 'status':
      return handleStatusServer(ctx, request, port);
  }
}
