// DHCP relay agent information (Option 82) / PPPoE intermediate-agent ids as
// NASes report them, for IPoE matching by circuit or remote id.
import { getOctets } from './attributes.ts';
import type { RadiusPacket } from './codec.ts';

/** RFC 4679 §4.1: Agent-Circuit-Id and Agent-Remote-Id, ADSL-Forum vendor 3561. */
const AGENT_CIRCUIT_ID = { vendorId: 3561, type: 1 } as const;
const AGENT_REMOTE_ID = { vendorId: 3561, type: 2 } as const;
/** Juniper ERX-Dhcp-Option-82: the relay agent option as received (RFC 3046 §2.0 sub-options). */
const ERX_DHCP_OPTION_82 = { vendorId: 4874, type: 159 } as const;

export interface AgentIds {
  readonly circuitId?: Buffer;
  readonly remoteId?: Buffer;
}

/**
 * RFC 3046 §2.0: a sequence of SubOpt(1) Len(1) Value; sub-option 1 is the
 * Agent Circuit ID, 2 the Agent Remote ID. A malformed tail ends the walk.
 */
export function parseOption82(value: Buffer): AgentIds {
  let circuitId: Buffer | undefined;
  let remoteId: Buffer | undefined;
  for (let offset = 0; offset + 2 <= value.length;) {
    const code = value[offset] ?? 0;
    const length = value[offset + 1] ?? 0;
    const end = offset + 2 + length;
    if (end > value.length) break;
    if (code === 1 && !circuitId) circuitId = value.subarray(offset + 2, end);
    if (code === 2 && !remoteId) remoteId = value.subarray(offset + 2, end);
    offset = end;
  }
  return { circuitId, remoteId };
}

/** Circuit and remote id from RFC 4679 attributes, else from Juniper's raw Option 82. */
export function readAgentIds(packet: RadiusPacket): AgentIds {
  const circuitId = getOctets(packet, AGENT_CIRCUIT_ID);
  const remoteId = getOctets(packet, AGENT_REMOTE_ID);
  if (circuitId || remoteId) return { circuitId, remoteId };
  const raw = getOctets(packet, ERX_DHCP_OPTION_82);
  return raw ? parseOption82(raw) : {};
}
