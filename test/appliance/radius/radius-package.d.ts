// Types for the parts of the npm `radius` package (CommonJS, untyped) that the
// cross-check tests use.
declare module 'radius' {
  interface DecodedPacket {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    raw_attributes: Array<[number, Buffer]>;
  }
  interface EncodeArgs {
    code: string;
    secret: string;
    identifier?: number;
    authenticator?: Buffer;
    attributes?: Array<[string | number, ...unknown[]]>;
    add_message_authenticator?: boolean;
  }
  interface Radius {
    add_dictionary(path: string): void;
    decode(args: { packet: Buffer; secret: string }): DecodedPacket;
    encode(args: EncodeArgs): Buffer;
    verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
  }
  const radius: Radius;
  export default radius;
}
