"""A NAS receiving CoA/Disconnect-Requests (RFC 5176), built on Debian's python3-pyrad.

pyrad.server.Server with only its CoA port enabled (bound to 127.0.0.1, ephemeral)
receives each request, looks the sender up in its hosts table, and dispatches to
HandleCoaPacket / HandleDisconnectPacket. Each handler verifies the Request
Authenticator with pyrad's VerifyCoARequest and the Message-Authenticator (RFC 3579
section 3.2 with a zero Request Authenticator, RFC 5176 section 3.5; pyrad 2.1 has no
Message-Authenticator support, so it is checked here), prints what it saw as one
JSON line on stdout, and answers by User-Name, every reply carrying a
Message-Authenticator (the request did, RFC 3579 section 3.2) except where said:

  ackma*   ACK
  ack*     ACK without Message-Authenticator (pyrad's ReplyPacket alone: an old NAS)
  nak*     NAK with Error-Cause = Session-Context-Not-Found
  coanak*  CoA: NAK with Error-Cause = Unsupported-Attribute; Disconnect: ACK
  silent*  no answer
  anything else, or a request that fails verification: no answer (a NAS drops it)

Usage: coa-nas.py '{"secret": "..."}'. Prints {"port": N} first. Exits when stdin
closes or after 120 s.
"""
import hashlib
import hmac
import json
import os
import select
import struct
import sys
import time

from pyrad import dictionary, packet, server

HERE = os.path.dirname(os.path.abspath(__file__))
RFC = os.path.join(HERE, '..', '..', 'node_modules', 'radius', 'dictionaries')
VENDOR = os.path.join(HERE, '..', '..', 'appliance', 'radius', 'dictionaries')
DICTIONARY = dictionary.Dictionary(
    *[os.path.join(RFC, 'dictionary.' + name) for name in ('rfc2865', 'rfc2866', 'rfc2869', 'rfc3162', 'rfc3576', 'rfc5176', 'rfc4372')],
    os.path.join(VENDOR, 'dictionary.mikrotik'),
)
MESSAGE_AUTHENTICATOR = 80
DEADLINE_SECONDS = 120


def emit(value):
    sys.stdout.write(json.dumps(value) + '\n')
    sys.stdout.flush()


def message_authenticator_ok(raw, secret):
    """None when absent, else whether the HMAC-MD5 matches (RFC 3579 section 3.2)."""
    data = bytearray(raw)
    data[4:20] = bytes(16)
    offset = 20
    while offset + 2 <= len(data):
        kind, length = data[offset], data[offset + 1]
        if kind == MESSAGE_AUTHENTICATOR and length == 18:
            sent = bytes(data[offset + 2:offset + 18])
            data[offset + 2:offset + 18] = bytes(16)
            return hmac.compare_digest(hmac.new(secret, bytes(data), hashlib.md5).digest(), sent)
        offset += max(length, 2)
    return None


def signed_reply(reply, request_authenticator, secret):
    """A reply with Message-Authenticator first, then the Response Authenticator over it."""
    attributes = struct.pack('!BB', MESSAGE_AUTHENTICATOR, 18) + bytes(16) + reply._PktEncodeAttributes()
    header = struct.pack('!BBH', reply.code, reply.id, 20 + len(attributes))
    mac = hmac.new(secret, header + request_authenticator + attributes, hashlib.md5).digest()
    attributes = attributes[:2] + mac + attributes[18:]
    authenticator = hashlib.md5(header + request_authenticator + attributes + secret).digest()
    return header + authenticator + attributes


class Nas(server.Server):
    def __init__(self, secret):
        super().__init__(addresses=['127.0.0.1'], coaport=0, auth_enabled=False, acct_enabled=False, coa_enabled=True,
                         hosts={'127.0.0.1': server.RemoteHost('127.0.0.1', secret, 'appliance')}, dict=DICTIONARY)
        # Run() would set these; the ports they name are disabled here.
        self._realauthfds = []
        self._realacctfds = []
        self._realcoafds = [fd.fileno() for fd in self.coafds]

    def HandleCoaPacket(self, pkt):
        self.answer(pkt, packet.CoAACK, packet.CoANAK)

    def HandleDisconnectPacket(self, pkt):
        self.answer(pkt, packet.DisconnectACK, packet.DisconnectNAK)

    def answer(self, pkt, ack_code, nak_code):
        authenticator_ok = pkt.VerifyCoARequest()
        ma_ok = message_authenticator_ok(pkt.raw_packet, pkt.secret)
        attributes = {}
        for key in pkt.keys():
            attributes[key if isinstance(key, str) else repr(key)] = [str(value) for value in pkt[key]]
        emit({'code': pkt.code, 'id': pkt.id, 'authenticatorOk': authenticator_ok, 'messageAuthenticatorOk': ma_ok,
              'firstAttribute': pkt.raw_packet[20] if len(pkt.raw_packet) > 20 else None, 'attributes': attributes})
        if not authenticator_ok or ma_ok is False:
            return
        user = attributes.get('User-Name', [''])[0]
        reply = pkt.CreateReply()
        if user.startswith('ackma'):
            reply.code = ack_code
            pkt.fd.sendto(signed_reply(reply, pkt.authenticator, pkt.secret), pkt.source)
        elif user.startswith('ack'):
            reply.code = ack_code
            pkt.fd.sendto(reply.ReplyPacket(), pkt.source)
        elif user.startswith('coanak'):
            if pkt.code == packet.CoARequest:
                reply.code = nak_code
                reply['Error-Cause'] = 'Unsupported-Attribute'
            else:
                reply.code = ack_code
            pkt.fd.sendto(signed_reply(reply, pkt.authenticator, pkt.secret), pkt.source)
        elif user.startswith('nak'):
            reply.code = nak_code
            reply['Error-Cause'] = 'Session-Context-Not-Found'
            pkt.fd.sendto(signed_reply(reply, pkt.authenticator, pkt.secret), pkt.source)


def main():
    options = json.loads(sys.argv[1])
    nas = Nas(options['secret'].encode())
    coa = nas.coafds[0]
    emit({'port': coa.getsockname()[1]})
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        readable, _, _ = select.select([coa, sys.stdin], [], [], 0.5)
        if sys.stdin in readable and sys.stdin.buffer.read1(4096) == b'':
            return
        if coa in readable:
            try:
                nas._ProcessInput(coa)
            except (server.ServerPacketError, packet.PacketError) as error:
                emit({'dropped': str(error)})


main()
