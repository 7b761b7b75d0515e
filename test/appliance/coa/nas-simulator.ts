// A NAS receiving CoA/Disconnect-Requests (RFC 5176) on 127.0.0.1, for tests: it
// decodes and verifies every request with the protocol layer, records it, and answers
// with whatever datagrams the test's behaviour returns (none: silent).
import { createSocket } from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import {
  buildReply,
  decodePacket,
  encodePacket,
  entryType,
  entryValue,
  entryVendorId,
  loadDictionary,
  PacketCode,
  readValue,
  signPacket,
  verifyRequest,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput, AttributeValue, RadiusPacket, VerifyOutcome } from '../../../appliance/radius/index.ts';

export const dictionary = loadDictionary();

export type ReceivedRequest = {
  code: number;
  identifier: number;
  data: Buffer;
  verify: VerifyOutcome;
  /** Attribute names in wire order with their typed values. */
  attributes: Array<[string, AttributeValue]>;
  from: RemoteInfo;
};

export type Behaviour = (request: RadiusPacket, nas: NasSimulator) => Buffer[];

export type NasSimulator = {
  address: string;
  port: number;
  secret: Buffer;
  received: ReceivedRequest[];
  behaviour: Behaviour;
  /** Sends from the NAS's own socket (its address and port), e.g. a late or unsolicited reply. */
  send(datagram: Buffer, to: RemoteInfo): Promise<void>;
  close(): Promise<void>;
};

/** The ACK/NAK code answering `request`. */
export function answerCode(request: RadiusPacket, ack: boolean): number {
  if (request.code === PacketCode.disconnectRequest) return ack ? PacketCode.disconnectAck : PacketCode.disconnectNak;
  return ack ? PacketCode.coaAck : PacketCode.coaNak;
}

export function ack(request: RadiusPacket, secret: Buffer, options: { messageAuthenticator?: boolean } = {}): Buffer {
  return buildReply(request, answerCode(request, true), [], secret, dictionary, options);
}

export function nak(
  request: RadiusPacket,
  secret: Buffer,
  causes: readonly number[],
  options: { messageAuthenticator?: boolean } = {},
): Buffer {
  const attributes: AttributeInput[] = causes.map((value) => ({ attribute: 'Error-Cause', value }));
  return buildReply(request, answerCode(request, false), attributes, secret, dictionary, options);
}

/**
 * A reply whose Response Authenticator is right but whose Message-Authenticator was
 * computed with `maSecret`: only an RFC 3579 §3.2 check can tell.
 */
export function replyWithForeignMessageAuthenticator(request: RadiusPacket, secret: Buffer, maSecret: Buffer): Buffer {
  const encoded = encodePacket(
    {
      code: answerCode(request, true),
      identifier: request.identifier,
      authenticator: request.authenticator,
      attributes: [],
      messageAuthenticator: true,
      secret,
      cryptAuthenticator: request.authenticator,
    },
    dictionary,
  );
  signPacket(encoded.data, encoded.messageAuthenticatorOffset, maSecret, false);
  signPacket(encoded.data, -1, secret, true);
  return encoded.data;
}

function describeAttributes(packet: RadiusPacket): Array<[string, AttributeValue]> {
  const attributes: Array<[string, AttributeValue]> = [];
  for (let index = 0; index < packet.attributeCount; index++) {
    const def = dictionary.attributeByCode(entryVendorId(packet, index), entryType(packet, index));
    const value = entryValue(packet, index);
    attributes.push(
      def === undefined
        ? [`${entryVendorId(packet, index)}:${entryType(packet, index)}`, Buffer.from(value)]
        : [def.name, readValue(def, value)],
    );
  }
  return attributes;
}

export async function startNasSimulator(secret: Buffer, behaviour: Behaviour): Promise<NasSimulator> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, resolve));
  const nas: NasSimulator = {
    address: '127.0.0.1',
    port: socket.address().port,
    secret,
    received: [],
    behaviour,
    send: (datagram, to) =>
      new Promise((resolve, reject) =>
        socket.send(datagram, to.port, to.address, (error) => (error ? reject(error) : resolve())),
      ),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (datagram, from) => {
    const request = decodePacket(Buffer.from(datagram), dictionary);
    nas.received.push({
      code: request.code,
      identifier: request.identifier,
      data: request.data,
      verify: verifyRequest(request, secret, { requireMessageAuthenticator: true }),
      attributes: describeAttributes(request),
      from,
    });
    for (const reply of nas.behaviour(request, nas)) socket.send(reply, from.port, from.address);
  });
  return nas;
}
