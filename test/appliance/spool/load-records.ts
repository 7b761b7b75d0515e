// Deterministic accounting load shared by the durability test and its child process:
// record (loop, step) is the same in both, so the parent can re-send what was acked.
import type { AccountingRecord } from '../../../appliance/spool/index.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const STEPS_PER_SESSION = 20;

export function loadRecord(loop: number, step: number): AccountingRecord {
  const session = Math.floor(step / STEPS_PER_SESSION);
  const within = step % STEPS_PER_SESSION;
  const sessionId = `L${loop}-S${session}`;
  const base = {
    nasId: `nas-${loop % 4}`,
    nasAddress: `192.0.2.${(loop % 4) + 1}`,
    sessionId,
    username: `user-${loop}`,
    framedIp: `100.64.${loop % 250}.${(session % 250) + 1}`,
    interimInterval: 300,
  };
  const startedAt = T0 + session * STEPS_PER_SESSION * 300_000;
  if (within === 0) return { ...base, status: 'start', receivedAt: startedAt };
  const sessionTime = within * 300;
  const counters = {
    sessionTime,
    inputOctets: (within * 1_000_003) % 2 ** 32,
    inputGigawords: Math.floor((within * 1_000_003) / 2 ** 32),
    outputOctets: within * 7_000_001,
    inputPackets: within * 900,
    outputPackets: within * 2_100,
  };
  const receivedAt = startedAt + sessionTime * 1000;
  if (within === STEPS_PER_SESSION - 1)
    return { ...base, ...counters, status: 'stop', receivedAt, terminateCause: 'User-Request' };
  return { ...base, ...counters, status: 'interim', receivedAt };
}
