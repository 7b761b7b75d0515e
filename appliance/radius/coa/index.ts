// Dynamic Authorization client (RFC 5176): the public face of appliance/radius/coa.
//
//   const coa = createCoaClient({ replica, spool, config, log, metrics });   // after the spool
//   await coa.disconnect({ nasId, session: { userName, acctSessionId } });   // → CoaResult
//   await coa.changeAuthorization(target, { rateLimit: { uploadKbps: 1000, downloadKbps: 1000 } });
//   await coa.disconnectSubscriber('alice');   // every live spool session → its NAS
//   await coa.changeSubscriber('alice', change);
//   await coa.throttleSubscriber('alice', change);   // CoA; NAK or timeout → Disconnect
//   await coa.close();                                       // on shutdown, before the spool
//
// CoaResult.status: 'ack' | 'nak' (errorCauses, RFC 5176 §3.5 names) | 'timeout' (after
// config coa.retries retransmissions, coa.timeoutMs apart) | 'error' (reason: unknown_nas,
// no_nas_address, address_outside_nas, invalid_request, send_failed, closed). A
// Disconnect-ACK for a request naming Acct-Session-Id closes that spool session.
export { createCoaClient } from './coa-client.ts';
export type {
  AuthorizationChange,
  CoaClient,
  CoaClientOptions,
  CoaErrorReason,
  CoaRequestKind,
  CoaResult,
  CoaTarget,
  NasIdentification,
  SessionIdentification,
  SubscriberCoaResult,
  SubscriberThrottleResult,
  ThrottledSession,
} from './coa-client.ts';
export { describeErrorCause, ERROR_CAUSES } from './error-cause.ts';
export type { ErrorCause } from './error-cause.ts';
