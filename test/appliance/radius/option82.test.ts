import { describe, expect, it } from 'vitest';
import { decodePacket, parseOption82, readAgentIds } from '../../../appliance/radius/index.ts';
import { dictionary, hex, rawAttribute, rawPacket, rawVsa } from './helpers.ts';

describe('DHCP Option 82 / agent ids', () => {
  it('reads RFC 4679 ADSL-Forum Agent-Circuit-Id and Agent-Remote-Id', () => {
    const packet = decodePacket(
      rawPacket(1, 0, Buffer.alloc(16), [
        rawVsa(3561, 1, Buffer.from('eth 0/1/2:100')),
        rawVsa(3561, 2, Buffer.from('cpe-42')),
      ]),
      dictionary,
    );
    expect(readAgentIds(packet)).toEqual({ circuitId: Buffer.from('eth 0/1/2:100'), remoteId: Buffer.from('cpe-42') });
  });

  it('reads Juniper ERX-Dhcp-Option-82 sub-options (RFC 3046 §2.0)', () => {
    const option = hex('01 04 76 6c 31 30 02 06 00 11 22 33 44 55 09 02 ab cd');
    const packet = decodePacket(rawPacket(1, 0, Buffer.alloc(16), [rawVsa(4874, 159, option)]), dictionary);
    expect(readAgentIds(packet)).toEqual({ circuitId: Buffer.from('vl10'), remoteId: hex('001122334455') });
  });

  it('stops at a malformed sub-option and reports nothing when absent', () => {
    expect(parseOption82(hex('01 02 61 62 02 09 00'))).toEqual({ circuitId: Buffer.from('ab'), remoteId: undefined });
    expect(
      readAgentIds(decodePacket(rawPacket(1, 0, Buffer.alloc(16), [rawAttribute(1, Buffer.from('u'))]), dictionary)),
    ).toEqual({});
  });
});
