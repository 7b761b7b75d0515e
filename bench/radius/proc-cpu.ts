// Process and machine facts for the bench results. CPU time of a server process from
// /proc/<pid>/stat: utime + stime cover every thread of the process (FreeRADIUS's
// thread pool, the appliance's worker threads).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of `pid` in microseconds (resolution: one clock tick, usually 10 ms). */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is parenthesised and may contain spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the line are utime and stime; after the name, 12 and 13 (1-based) → 11, 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000_000) / clockTicks();
}

/** Sum over several processes (a server that forks helpers). */
export function totalCpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += processCpuMicros(pid);
  return total;
}

/**
 * Time the threads of `pids` spent runnable but waiting for a CPU, in microseconds:
 * the second field of /proc/<pid>/task/<tid>/schedstat (nanoseconds on a run queue).
 * On a machine whose cores are busy with other work, a server's threads wait there
 * longer than they run, and its rate follows the CPU share it gets. Threads that
 * exited between two readings are left out.
 */
export function runQueueWaitMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1000;
      } catch {
        // the thread exited
      }
    }
  }
  return total;
}

/** /proc/pressure/cpu "some" avg60: the share of the last minute in which some task waited for a CPU (%). */
export function cpuPressure(): number | null {
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const value = /avg60=([\d.]+)/.exec(some)?.[1];
    return value === undefined ? null : Number(value);
  } catch {
    return null;
  }
}

/**
 * Machine-wide UDP receive-buffer overflows (/proc/net/snmp Udp RcvbufErrors): a
 * server socket that overflows drops datagrams the generator then retransmits.
 * Machine-wide, so other programs' overflows count too.
 */
export function udpReceiveBufferErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    return Number(values[names.indexOf('RcvbufErrors')] ?? NaN);
  } catch {
    return NaN;
  }
}

/** An argument as a POSIX shell would need it, so a recorded command line can be pasted back. */
export function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", "'\\''")}'`;
}
