import radius from 'radius';
import { describe, expect, it } from 'vitest';
import {
  buildReply,
  buildRequest,
  decodePacket,
  encodePacket,
  entryType,
  entryValue,
  PacketCode,
  RadiusEncodeError,
  signPacket,
  verifyReply,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput, RadiusPacket } from '../../../appliance/radius/index.ts';
import { dictionary, hex, rawAttribute, rawPacket, runPyrad, SECRET } from './helpers.ts';

const STRICT = { requireMessageAuthenticator: true };

function accessRequest(extra: AttributeInput[] = [], messageAuthenticator = true): RadiusPacket {
  const data = buildRequest(
    {
      code: PacketCode.accessRequest,
      identifier: 77,
      secret: SECRET,
      messageAuthenticator,
      attributes: [{ attribute: 'User-Name', value: 'carol' }, { attribute: 'User-Password', value: 'pw' }, ...extra],
    },
    dictionary,
  );
  return decodePacket(data, dictionary);
}

const PROFILE: AttributeInput[] = [
  { attribute: 'Service-Type', value: 'Framed-User' },
  { attribute: 'Framed-Protocol', value: 'PPP' },
  { attribute: 'Framed-IP-Address', value: '100.64.0.10' },
  { attribute: 'Session-Timeout', value: 86400 },
  { attribute: 'Acct-Interim-Interval', value: 300 },
  { attribute: 'Delegated-IPv6-Prefix', value: '2001:db8:100::/56' },
  { attribute: 'Tunnel-Type', value: 'VLAN', tag: 1 },
  { attribute: 'Tunnel-Medium-Type', value: 'IEEE-802', tag: 1 },
  { attribute: 'Tunnel-Private-Group-Id', value: '100', tag: 1 },
  { attribute: 'Mikrotik-Rate-Limit', value: '10M/50M' },
];

describe('buildReply', () => {
  it('reproduces the RFC 2865 §7.1 Access-Accept byte for byte (response authenticator)', () => {
    const request = decodePacket(
      hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
        93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03`),
      dictionary,
    );
    const secret = Buffer.from('xyzzy5461');
    const encoded = encodePacket(
      {
        code: PacketCode.accessAccept,
        identifier: request.identifier,
        authenticator: request.authenticator,
        attributes: [
          { attribute: 'Service-Type', value: 'Login-User' },
          { attribute: 'Login-Service', value: 'Telnet' },
          { attribute: 'Login-IP-Host', value: '192.168.1.3' },
        ],
        messageAuthenticator: false,
        secret,
        cryptAuthenticator: request.authenticator,
      },
      dictionary,
    );
    signPacket(encoded.data, -1, secret, true);
    expect(encoded.data.toString('hex')).toBe(
      '0200002686fe220e7624ba2a1005f6bf9b55e0b2060600000001' + '0f06000000000e06c0a80103',
    );
  });

  const accessCodes: Array<[string, number]> = [
    ['Access-Accept', PacketCode.accessAccept],
    ['Access-Reject', PacketCode.accessReject],
    ['Access-Challenge', PacketCode.accessChallenge],
  ];
  it.each(accessCodes)('%s carries Message-Authenticator first, even when the request had none', (_name, code) => {
    for (const requestHadMa of [true, false]) {
      const request = accessRequest([], requestHadMa);
      const attributes = code === PacketCode.accessAccept ? PROFILE : [{ attribute: 'Reply-Message', value: 'no' }];
      const reply = buildReply(request, code, attributes, SECRET, dictionary);
      expect(reply[0]).toBe(code);
      expect(reply[1]).toBe(77);
      expect([reply[20], reply[21]]).toEqual([80, 18]);
      const decoded = decodePacket(reply, dictionary);
      expect(decoded.messageAuthenticatorOffset).toBe(22);
      expect(verifyReply(decoded, request.authenticator, SECRET, STRICT)).toBe('ok');
    }
  });

  it('is accepted by pyrad VerifyReply and by the npm radius verifier', () => {
    const request = accessRequest([{ attribute: 'NAS-IP-Address', value: '192.0.2.1' }]);
    const reply = buildReply(request, PacketCode.accessAccept, PROFILE, SECRET, dictionary);
    const pyrad = runPyrad<{ ok: boolean }>({
      op: 'verify_reply',
      secret: SECRET.toString(),
      request: request.data.toString('hex'),
      reply: reply.toString('hex'),
    });
    expect(pyrad.ok).toBe(true);
    expect(
      radius.verify_response({
        request: Buffer.from(request.data),
        response: Buffer.from(reply),
        secret: SECRET.toString(),
      }),
    ).toBe(true);
  });

  it('pyrad decodes the reply attributes as sent', () => {
    const request = accessRequest();
    const reply = buildReply(request, PacketCode.accessAccept, PROFILE, SECRET, dictionary);
    const { attributes } = runPyrad<{ attributes: Array<[string | number, ...unknown[]]> }>({
      op: 'decode',
      secret: SECRET.toString(),
      packet: reply.toString('hex'),
    });
    const byName = new Map(attributes.map(([name, ...rest]) => [String(name), rest]));
    expect(byName.get('Service-Type')).toEqual(['Framed-User']);
    expect(byName.get('Framed-IP-Address')).toEqual(['100.64.0.10']);
    expect(byName.get('Session-Timeout')).toEqual([86400]);
    expect(byName.get('Delegated-IPv6-Prefix')).toEqual(['2001:db8:100::/56']);
    expect(byName.get('14988')).toEqual([8, Buffer.from('10M/50M').toString('hex')]);
  });

  it('copies Proxy-State attributes unmodified and in order (RFC 2865 §5.33)', () => {
    const request = accessRequest([
      { attribute: 'Proxy-State', value: Buffer.from('first-hop') },
      { attribute: 'Proxy-State', value: hex('00ff00ff') },
    ]);
    const decoded = decodePacket(buildReply(request, PacketCode.accessReject, [], SECRET, dictionary), dictionary);
    const states: string[] = [];
    for (let index = 0; index < decoded.attributeCount; index++) {
      if (entryType(decoded, index) === 33) states.push(entryValue(decoded, index).toString('hex'));
    }
    expect(states).toEqual([Buffer.from('first-hop').toString('hex'), '00ff00ff']);
    expect(entryType(decoded, decoded.attributeCount - 1)).toBe(33);
  });

  it('answers Status-Server with Message-Authenticator first on either port (RFC 5997 §3)', () => {
    const status = decodePacket(
      buildRequest({ code: PacketCode.statusServer, identifier: 5, secret: SECRET, attributes: [] }, dictionary),
      dictionary,
    );
    for (const code of [PacketCode.accessAccept, PacketCode.accountingResponse]) {
      const reply = decodePacket(
        buildReply(status, code, [{ attribute: 'Reply-Message', value: 'up' }], SECRET, dictionary),
        dictionary,
      );
      expect(reply.messageAuthenticatorOffset).toBe(22);
      expect(verifyReply(reply, status.authenticator, SECRET, STRICT)).toBe('ok');
    }
  });

  it('signs Accounting-Response without Message-Authenticator unless asked or the request had one', () => {
    const plain = decodePacket(
      buildRequest(
        {
          code: PacketCode.accountingRequest,
          identifier: 6,
          secret: SECRET,
          attributes: [{ attribute: 'Acct-Status-Type', value: 'Stop' }],
        },
        dictionary,
      ),
      dictionary,
    );
    const reply = decodePacket(buildReply(plain, PacketCode.accountingResponse, [], SECRET, dictionary), dictionary);
    expect(reply.data.length).toBe(20);
    expect(verifyReply(reply, plain.authenticator, SECRET, { requireMessageAuthenticator: false })).toBe('ok');
    const asked = decodePacket(
      buildReply(plain, PacketCode.accountingResponse, [], SECRET, dictionary, { messageAuthenticator: true }),
      dictionary,
    );
    expect(verifyReply(asked, plain.authenticator, SECRET, STRICT)).toBe('ok');
    const signedRequest = decodePacket(
      buildRequest(
        {
          code: PacketCode.coaRequest,
          identifier: 6,
          secret: SECRET,
          attributes: [{ attribute: 'User-Name', value: 'u' }],
          messageAuthenticator: true,
        },
        dictionary,
      ),
      dictionary,
    );
    const ack = decodePacket(buildReply(signedRequest, PacketCode.coaAck, [], SECRET, dictionary), dictionary);
    expect(verifyReply(ack, signedRequest.authenticator, SECRET, STRICT)).toBe('ok');
  });

  it('refuses codes that do not answer the request', () => {
    const request = accessRequest();
    expect(() => buildReply(request, PacketCode.accountingResponse, [], SECRET, dictionary)).toThrow(RadiusEncodeError);
    expect(() => buildReply(request, PacketCode.accessRequest, [], SECRET, dictionary)).toThrow(RadiusEncodeError);
    const reply = decodePacket(rawPacket(2, 0, Buffer.alloc(16), [rawAttribute(18, Buffer.from('x'))]), dictionary);
    expect(() => buildReply(reply, PacketCode.accessAccept, [], SECRET, dictionary)).toThrow(RadiusEncodeError);
  });

  it('refuses a forged reply: any flipped octet fails verifyReply', () => {
    const request = accessRequest();
    const reply = buildReply(request, PacketCode.accessAccept, PROFILE, SECRET, dictionary);
    for (let offset = 0; offset < reply.length; offset++) {
      if (offset === 2 || offset === 3) continue;
      const forged = Buffer.from(reply);
      forged[offset] = (forged[offset] ?? 0) ^ 0x20;
      let outcome = 'undecodable';
      try {
        outcome = verifyReply(decodePacket(forged, dictionary), request.authenticator, SECRET, STRICT);
      } catch {
        // A structural change is refused by the decoder: also not accepted.
      }
      expect(outcome, `offset ${offset}`).not.toBe('ok');
    }
  });
});
