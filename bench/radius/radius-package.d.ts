// Types for the parts of the npm `radius` package (CommonJS, untyped) that the
// codec micro-bench compares against. (test/appliance/radius has its own copy:
// bench and test are separate TypeScript programs.)
declare module 'radius' {
  interface DecodedPacket {
    code: string;
    identifier: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
  }
  interface Radius {
    add_dictionary(path: string): void;
    decode(args: { packet: Buffer; secret: string }): DecodedPacket;
    encode_response(args: { packet: DecodedPacket; code: string; secret: string; attributes: unknown[][] }): Buffer;
    verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
  }
  const radius: Radius;
  export default radius;
}
