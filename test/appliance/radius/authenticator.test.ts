import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  computeMessageAuthenticator,
  computePacketAuthenticator,
  decodePacket,
  PacketCode,
  verifyReply,
  verifyRequest,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput } from '../../../appliance/radius/index.ts';
import { dictionary, hex, rawAttribute, rawPacket, runPyrad, SECRET } from './helpers.ts';

const STRICT = { requireMessageAuthenticator: true };
const LENIENT = { requireMessageAuthenticator: false };
const USER: AttributeInput[] = [{ attribute: 'User-Name', value: 'alice' }];

function flip(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = (copy[offset] ?? 0) ^ 0x01;
  return copy;
}

/** RFC 3579 §3.2 computed the obvious way, with node's HMAC. */
function referenceMessageAuthenticator(data: Buffer, offset: number, authenticatorField: Buffer): Buffer {
  const copy = Buffer.from(data);
  authenticatorField.copy(copy, 4);
  copy.fill(0, offset, offset + 16);
  return createHmac('md5', SECRET).update(copy).digest();
}

describe('digest primitives against node:crypto', () => {
  it('packet authenticator = MD5(header + field + attributes + secret) for every size', () => {
    for (let size = 20; size < 400; size += 7) {
      const data = randomBytes(size);
      data.writeUInt16BE(size, 2);
      const field = randomBytes(16);
      const expected = createHash('md5')
        .update(data.subarray(0, 4))
        .update(field)
        .update(data.subarray(20))
        .update(SECRET)
        .digest();
      expect(computePacketAuthenticator(data, field, SECRET)).toEqual(expected);
    }
  });

  it('Message-Authenticator = HMAC-MD5 for every size and for secrets longer than the HMAC block', () => {
    for (const secretLength of [1, 10, 63, 64, 65, 200]) {
      const secret = randomBytes(secretLength);
      for (let size = 38; size < 600; size += 37) {
        const data = randomBytes(size);
        const field = randomBytes(16);
        const copy = Buffer.from(data);
        field.copy(copy, 4);
        copy.fill(0, 22, 38);
        expect(computeMessageAuthenticator(data, 22, field, secret)).toEqual(
          createHmac('md5', secret).update(copy).digest(),
        );
      }
    }
  });

  it('uses an MD5 fallback for secrets too long for the scratch buffer', () => {
    const secret = randomBytes(2000);
    const data = randomBytes(4096);
    const expected = createHash('md5')
      .update(data.subarray(0, 4))
      .update(data.subarray(4, 20))
      .update(data.subarray(20))
      .update(secret)
      .digest();
    expect(computePacketAuthenticator(data, data.subarray(4, 20), secret)).toEqual(expected);
  });
});

describe('verifyRequest: Access-Request (RFC 2865 §3, RFC 3579 §3.2)', () => {
  const signed = buildRequest(
    { code: PacketCode.accessRequest, identifier: 1, secret: SECRET, attributes: USER },
    dictionary,
  );
  const unsigned = buildRequest(
    { code: PacketCode.accessRequest, identifier: 1, secret: SECRET, attributes: USER, messageAuthenticator: false },
    dictionary,
  );

  it('places Message-Authenticator first and signs it', () => {
    expect(signed[20]).toBe(80);
    expect(signed.subarray(22, 38)).toEqual(referenceMessageAuthenticator(signed, 22, signed.subarray(4, 20)));
    expect(verifyRequest(decodePacket(signed, dictionary), SECRET, STRICT)).toBe('ok');
  });

  it('requires Message-Authenticator by policy, else accepts without it', () => {
    expect(verifyRequest(decodePacket(unsigned, dictionary), SECRET, STRICT)).toBe('missing_message_authenticator');
    expect(verifyRequest(decodePacket(unsigned, dictionary), SECRET, LENIENT)).toBe('ok');
  });

  it('always requires it with EAP-Message (RFC 3579 §3.2)', () => {
    const eap = buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [...USER, { attribute: 'EAP-Message', value: hex('0201000a01616c696365') }],
        messageAuthenticator: false,
      },
      dictionary,
    );
    expect(verifyRequest(decodePacket(eap, dictionary), SECRET, LENIENT)).toBe('missing_message_authenticator');
  });

  it('always requires it with Proxy-State (BlastRADIUS, FreeRADIUS limit_proxy_state)', () => {
    const proxied = buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [...USER, { attribute: 'Proxy-State', value: Buffer.from('attacker-chosen') }],
        messageAuthenticator: false,
      },
      dictionary,
    );
    expect(verifyRequest(decodePacket(proxied, dictionary), SECRET, LENIENT)).toBe('missing_message_authenticator');
  });

  it('rejects every single-bit change and a wrong secret', () => {
    for (let offset = 0; offset < signed.length; offset++) {
      if (offset === 2 || offset === 3) continue; // Length changes fail decoding instead.
      const tampered = flip(signed, offset);
      let outcome: string;
      try {
        outcome = verifyRequest(decodePacket(tampered, dictionary), SECRET, STRICT);
      } catch {
        outcome = 'undecodable';
      }
      expect(outcome, `offset ${offset}`).not.toBe('ok');
    }
    expect(verifyRequest(decodePacket(signed, dictionary), Buffer.from('testing124'), STRICT)).toBe(
      'bad_message_authenticator',
    );
  });

  it('accepts Message-Authenticator anywhere in a request (older NAS put it last)', () => {
    const body = [rawAttribute(1, Buffer.from('bob')), rawAttribute(80, Buffer.alloc(16))];
    const authenticator = randomBytes(16);
    const data = rawPacket(1, 9, authenticator, body);
    referenceMessageAuthenticator(data, data.length - 16, authenticator).copy(data, data.length - 16);
    expect(verifyRequest(decodePacket(data, dictionary), SECRET, STRICT)).toBe('ok');
  });
});

describe('verifyRequest: Status-Server (RFC 5997 §3)', () => {
  it('requires a valid Message-Authenticator even when policy does not', () => {
    const status = buildRequest(
      { code: PacketCode.statusServer, identifier: 3, secret: SECRET, attributes: [] },
      dictionary,
    );
    expect(status.length).toBe(38);
    expect(verifyRequest(decodePacket(status, dictionary), SECRET, LENIENT)).toBe('ok');
    const bare = rawPacket(12, 3, randomBytes(16), [rawAttribute(32, Buffer.from('nas'))]);
    expect(verifyRequest(decodePacket(bare, dictionary), SECRET, LENIENT)).toBe('missing_message_authenticator');
    expect(verifyRequest(decodePacket(flip(status, 30), dictionary), SECRET, LENIENT)).toBe(
      'bad_message_authenticator',
    );
  });
});

describe('verifyRequest: Accounting, CoA and Disconnect requests (RFC 2866 §3, RFC 5176 §3.5)', () => {
  const acctAttributes: AttributeInput[] = [
    ...USER,
    { attribute: 'Acct-Status-Type', value: 'Start' },
    { attribute: 'Acct-Session-Id', value: '0000001' },
  ];
  for (const code of [PacketCode.accountingRequest, PacketCode.coaRequest, PacketCode.disconnectRequest]) {
    it(`code ${code}: authenticator, optional Message-Authenticator, tampering`, () => {
      const plain = buildRequest({ code, identifier: 4, secret: SECRET, attributes: acctAttributes }, dictionary);
      expect(plain.subarray(4, 20)).toEqual(
        createHash('md5')
          .update(Buffer.concat([plain.subarray(0, 4), Buffer.alloc(16), plain.subarray(20), SECRET]))
          .digest(),
      );
      expect(verifyRequest(decodePacket(plain, dictionary), SECRET, STRICT)).toBe('ok');
      expect(verifyRequest(decodePacket(flip(plain, 25), dictionary), SECRET, STRICT)).toBe('bad_authenticator');
      expect(verifyRequest(decodePacket(plain, dictionary), Buffer.from('nope'), STRICT)).toBe('bad_authenticator');
      const withMa = buildRequest(
        { code, identifier: 4, secret: SECRET, attributes: acctAttributes, messageAuthenticator: true },
        dictionary,
      );
      // RFC 5176 §3.5: the HMAC is computed with a zero authenticator field, then the authenticator over the result.
      expect(withMa.subarray(22, 38)).toEqual(referenceMessageAuthenticator(withMa, 22, Buffer.alloc(16)));
      expect(verifyRequest(decodePacket(withMa, dictionary), SECRET, STRICT)).toBe('ok');
      const badMa = Buffer.from(withMa);
      badMa[30] = (badMa[30] ?? 0) ^ 0x40;
      const resigned = computePacketAuthenticator(badMa, Buffer.alloc(16), SECRET);
      resigned.copy(badMa, 4);
      expect(verifyRequest(decodePacket(badMa, dictionary), SECRET, STRICT)).toBe('bad_message_authenticator');
    });
  }

  it('verifies pyrad-signed Accounting and CoA requests, and pyrad verifies ours', () => {
    const [acct, coa, disconnect] = runPyrad<Array<{ packet: string }>>([
      {
        op: 'acct_request',
        secret: SECRET.toString(),
        id: 7,
        attributes: [
          ['User-Name', 'alice'],
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Input-Octets', 123456],
          ['Acct-Input-Gigawords', 2],
        ],
      },
      {
        op: 'coa_request',
        code: 43,
        secret: SECRET.toString(),
        id: 8,
        attributes: [
          ['User-Name', 'alice'],
          ['Session-Timeout', 60],
        ],
      },
      {
        op: 'coa_request',
        code: 40,
        secret: SECRET.toString(),
        id: 9,
        attributes: [
          ['User-Name', 'alice'],
          ['Acct-Session-Id', 'x1'],
        ],
      },
    ]);
    for (const reference of [acct, coa, disconnect]) {
      const packet = decodePacket(Buffer.from(reference?.packet ?? '', 'hex'), dictionary);
      expect(verifyRequest(packet, SECRET, STRICT)).toBe('ok');
    }
    const ours = buildRequest(
      { code: PacketCode.accountingRequest, identifier: 2, secret: SECRET, attributes: acctAttributes },
      dictionary,
    );
    expect(
      runPyrad<{ ok: boolean }>({ op: 'verify_acct', secret: SECRET.toString(), packet: ours.toString('hex') }).ok,
    ).toBe(true);
    expect(runPyrad<{ ok: boolean }>({ op: 'verify_acct', secret: 'other', packet: ours.toString('hex') }).ok).toBe(
      false,
    );
  });

  it('refuses reply codes', () => {
    const reply = rawPacket(2, 0, Buffer.alloc(16), []);
    expect(verifyRequest(decodePacket(reply, dictionary), SECRET, STRICT)).toBe('unexpected_code');
  });
});

describe('verifyReply (client side)', () => {
  it('refuses request codes and a missing required Message-Authenticator', () => {
    const request = rawPacket(1, 0, Buffer.alloc(16), []);
    expect(verifyReply(decodePacket(request, dictionary), Buffer.alloc(16), SECRET, LENIENT)).toBe('unexpected_code');
    const authenticator = randomBytes(16);
    const reply = rawPacket(44, 0, Buffer.alloc(16), []);
    computePacketAuthenticator(reply, authenticator, SECRET).copy(reply, 4);
    expect(verifyReply(decodePacket(reply, dictionary), authenticator, SECRET, LENIENT)).toBe('ok');
    expect(verifyReply(decodePacket(reply, dictionary), authenticator, SECRET, STRICT)).toBe(
      'missing_message_authenticator',
    );
    expect(verifyReply(decodePacket(reply, dictionary), randomBytes(16), SECRET, LENIENT)).toBe('bad_authenticator');
  });
});
