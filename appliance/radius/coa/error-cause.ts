// Error-Cause (attribute 101) values of RFC 5176 §3.5, by name. A NAS puts one or more
// in a Disconnect-NAK or CoA-NAK. 2xx are not errors: 201 is sent only in a
// Disconnect-ACK, 202 (non-fatal) may come with either answer. 4xx are the client's
// fault, 5xx the NAS's.

export const ERROR_CAUSES: ReadonlyMap<number, string> = new Map([
  [201, 'Residual-Context-Removed'],
  [202, 'Invalid-EAP-Packet'],
  [401, 'Unsupported-Attribute'],
  [402, 'Missing-Attribute'],
  [403, 'NAS-Identification-Mismatch'],
  [404, 'Invalid-Request'],
  [405, 'Unsupported-Service'],
  [406, 'Unsupported-Extension'],
  [407, 'Invalid-Attribute-Value'],
  [501, 'Administratively-Prohibited'],
  [502, 'Request-Not-Routable'],
  [503, 'Session-Context-Not-Found'],
  [504, 'Session-Context-Not-Removable'],
  [505, 'Other-Proxy-Processing-Error'],
  [506, 'Resources-Unavailable'],
  [507, 'Request-Initiated'],
  [508, 'Multiple-Session-Selection-Unsupported'],
]);

export type ErrorCause = { readonly code: number; readonly name: string };

/** A value outside the RFC's list keeps its number: "Error-Cause-599". */
export function describeErrorCause(code: number): ErrorCause {
  return { code, name: ERROR_CAUSES.get(code) ?? `Error-Cause-${code}` };
}
