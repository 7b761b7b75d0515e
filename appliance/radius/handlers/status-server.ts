// Status-Server (RFC 5997): a signed liveness probe. RFC 5997 §3: answered with
// Access-Accept on the authentication port and Accounting-Response on the accounting
// port; it has no side effects, so it is answered afresh each time. verifyRequest
// already insisted on its Message-Authenticator (RFC 5997 §3).
import { PacketCode } from '../protocol.ts';
import { buildReply } from '../reply.ts';
import type { HandlerContext, HandlerOutcome, IncomingRequest, PortKind } from './context.ts';

export function handleStatusServer(ctx: HandlerContext, request: IncomingRequest, port: PortKind): HandlerOutcome {
  const code = port === 'auth' ? PacketCode.accessAccept : PacketCode.accountingResponse;
  return { reply: buildReply(request.packet, code, [], request.nas.secret, ctx.dictionary) };
}
