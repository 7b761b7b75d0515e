"""Reference RADIUS encodings from Debian's python3-pyrad, for cross-checks.

Reads one JSON command (or a list of them) on stdin and writes the result(s)
as JSON. pyrad 2.1's own salt encryption does not run on Python 3, so
Tunnel-Password is computed here directly from RFC 2868 section 3.5.
"""
import hashlib
import json
import os
import sys

from pyrad import dictionary, packet

HERE = os.path.dirname(os.path.abspath(__file__))
DICTIONARIES = os.path.join(HERE, '..', '..', '..', 'node_modules', 'radius', 'dictionaries')
DICTIONARY = dictionary.Dictionary(*[
    os.path.join(DICTIONARIES, name)
    for name in ('dictionary.rfc2865', 'dictionary.rfc2866', 'dictionary.rfc2868',
                 'dictionary.rfc2869', 'dictionary.rfc3162', 'dictionary.rfc3576', 'dictionary.rfc4818')
])


def add_attributes(pkt, attributes):
    for name, value in attributes:
        pkt.AddAttribute(name, value)


def auth_request(cmd):
    pkt = packet.AuthPacket(id=cmd['id'], secret=cmd['secret'].encode(),
                            authenticator=bytes.fromhex(cmd['authenticator']), dict=DICTIONARY)
    add_attributes(pkt, cmd.get('attributes', []))
    if 'password' in cmd:
        pkt['User-Password'] = pkt.PwCrypt(cmd['password'])
    if 'chap' in cmd:
        chap = cmd['chap']
        challenge = bytes.fromhex(chap['challenge']) if 'challenge' in chap else pkt.authenticator
        if 'challenge' in chap:
            pkt['CHAP-Challenge'] = challenge
        digest = hashlib.md5(bytes([chap['ident']]) + chap['password'].encode() + challenge).digest()
        pkt['CHAP-Password'] = bytes([chap['ident']]) + digest
    return {'packet': pkt.RequestPacket().hex()}


def signed_request(cmd, cls, code):
    pkt = cls(code=code, id=cmd['id'], secret=cmd['secret'].encode(), dict=DICTIONARY)
    add_attributes(pkt, cmd.get('attributes', []))
    return {'packet': pkt.RequestPacket().hex()}


def verify_reply(cmd):
    request = packet.AuthPacket(packet=bytes.fromhex(cmd['request']), secret=cmd['secret'].encode(), dict=DICTIONARY)
    raw = bytes.fromhex(cmd['reply'])
    reply = packet.Packet(packet=raw, secret=cmd['secret'].encode(), dict=DICTIONARY)
    return {'ok': request.VerifyReply(reply, raw)}


def verify_acct(cmd):
    raw = bytes.fromhex(cmd['packet'])
    pkt = packet.AcctPacket(packet=raw, secret=cmd['secret'].encode(), dict=DICTIONARY)
    pkt.raw_packet = raw
    return {'ok': pkt.VerifyAcctRequest()}


def decode(cmd):
    pkt = packet.Packet(packet=bytes.fromhex(cmd['packet']), secret=cmd['secret'].encode(), dict=DICTIONARY)
    out = []
    for key in pkt.keys():
        if isinstance(key, tuple):
            for raw in pkt[key]:
                out.append([key[0], key[1], raw.hex()])
            continue
        for value in pkt[key]:
            out.append([key, value if isinstance(value, (int, str)) else value.hex()])
    return {'attributes': out}


def tunnel_password(cmd):
    secret = cmd['secret'].encode()
    salt = bytes.fromhex(cmd['salt'])
    data = cmd['password'].encode()
    plain = bytes([len(data)]) + data
    plain += b'\x00' * (-len(plain) % 16)
    last = bytes.fromhex(cmd['authenticator']) + salt
    out = b''
    for start in range(0, len(plain), 16):
        key = hashlib.md5(secret + last).digest()
        block = bytes(p ^ k for p, k in zip(plain[start:start + 16], key))
        out += block
        last = block
    return {'value': (salt + out).hex()}


def pwcrypt(cmd):
    pkt = packet.AuthPacket(secret=cmd['secret'].encode(), authenticator=bytes.fromhex(cmd['authenticator']),
                            dict=DICTIONARY)
    return {'hidden': pkt.PwCrypt(cmd['password']).hex()}


COMMANDS = {
    'pwcrypt': pwcrypt,
    'auth_request': auth_request,
    'acct_request': lambda cmd: signed_request(cmd, packet.AcctPacket, packet.AccountingRequest),
    'coa_request': lambda cmd: signed_request(cmd, packet.CoAPacket, cmd['code']),
    'verify_reply': verify_reply,
    'verify_acct': verify_acct,
    'decode': decode,
    'tunnel_password': tunnel_password,
}

request = json.load(sys.stdin)
if isinstance(request, list):
    json.dump([COMMANDS[cmd['op']](cmd) for cmd in request], sys.stdout)
else:
    json.dump(COMMANDS[request['op']](request), sys.stdout)
