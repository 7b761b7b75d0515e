// RADIUS load generator: keeps a window of outstanding requests spread over several
// UDP sockets (distinct source ports, so a server's SO_REUSEPORT threads all get
// work), verifies every reply (Response Authenticator and Message-Authenticator via
// verifyReply, the code, and for Access-Accept the user's Framed-IP-Address),
// retransmits a request once after `timeoutMs` and counts it lost after a second
// timeout. Bounded by a request count and a duration.
//
//   node bench/radius/load.ts --port 1812 --secret S [--scenario auth|acct] [--window 256]
//        [--sockets 16] [--duration 10] [--requests 1000000] [--timeout 1000] [--users 10000]
//        [--pid PID ...]          server process(es) whose CPU time per request is reported
//        [--reply-ma require|if-present] [--threads N]   N generator threads (load-worker.ts)
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { decodePacket, getOctets, loadDictionary, PacketCode, verifyReply } from '../../appliance/radius/index.ts';
import type { Dictionary } from '../../appliance/radius/index.ts';
import { runQueueWaitMicros, totalCpuMicros, udpReceiveBufferErrors } from './proc-cpu.ts';
import {
  BENCH_SECRET,
  DEFAULT_USERS,
  buildAccessRequest,
  buildAccountingRequest,
  makeUsers,
  resolveAttributes,
} from './traffic.ts';
import type { AcctSession, AcctStatus, BenchUser } from './traffic.ts';

export type Scenario = 'auth' | 'acct';

// Math.random, not crypto.randomInt: the choice of user and the traffic counters need
// no secrecy, and crypto.randomInt costs a microsecond on the generator's hot path.
const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min));

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly scenario: Scenario;
  /** Outstanding requests in total (split over the sockets, at most 255 each). */
  readonly window: number;
  readonly sockets: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly timeoutMs: number;
  readonly users: number;
  /** Interim-Updates per accounting session (between Start and Stop). */
  readonly interims: number;
  /** Server processes whose utime+stime is divided by the answered requests. */
  readonly serverPids: readonly number[];
  /**
   * Replies must carry a valid Message-Authenticator ('require': what the appliance
   * promises, BlastRADIUS hardening) or only have it checked when present
   * ('if-present': FreeRADIUS before 3.2.5 sends none in Access-Accept).
   * Accounting-Response is always 'if-present' (RFC 2866 has none).
   */
  readonly replyMessageAuthenticator: 'require' | 'if-present';
  readonly dictionary?: Dictionary;
  /** Filled with the latency histogram (BUCKETS + 1 counts of BUCKET_US), to merge several generators. */
  readonly histogram?: Uint32Array;
}

export interface LoadResult {
  scenario: Scenario;
  window: number;
  sockets: number;
  /** Requests sent (first transmissions). */
  sent: number;
  /** Requests answered with a verified reply (Accept, Reject or Accounting-Response). */
  answered: number;
  /** Verified replies per second while requests were being issued. */
  per_second: number;
  answered_while_issuing: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Requests never answered after one retransmission. */
  losses: number;
  retransmits: number;
  /** Access-Request answered with Access-Reject (every bench user is valid: should be 0). */
  rejects: number;
  /** Verified replies whose code or Framed-IP-Address is not what the request should get. */
  wrong_replies: number;
  /** Replies that failed decoding or verification (ignored, the request stays outstanding). */
  bad_replies: number;
  /** Replies for no outstanding request (late answers to a retransmitted request). */
  unmatched_replies: number;
  /** Verified replies without Message-Authenticator (accepted only under 'if-present'). */
  replies_without_message_authenticator: number;
  /** Socket errors (ICMP port unreachable while the server was down). */
  socket_errors: number;
  /** Machine-wide UDP receive-buffer overflows during the run (/proc/net/snmp). */
  udp_rcvbuf_errors: number;
  by_status?: Record<AcctStatus, number>;
  issuing_seconds: number;
  server_cpu_us_per_request: number | null;
  client_cpu_us_per_request: number;
  /** Server CPU time / wall time of the run: 1.0 = one core busy throughout. */
  server_cores_busy: number | null;
  /**
   * The server's threads' time runnable but waiting for a CPU / wall time (summed over
   * its threads): above server_cores_busy, the server waited for CPUs longer than it ran.
   */
  server_run_queue_wait: number | null;
  /** The generator's own (all its threads); near 1.0 per generator thread = the generator is the bottleneck. */
  generator_cores_busy: number;
  generator_threads?: number;
}

// Latency histogram: 10 µs buckets up to 5 s, then one overflow bucket.
export const BUCKET_US = 10;
export const BUCKETS = 500_000;

/** Latency in ms at `fraction` of `count` samples (upper edge of the bucket). */
export function histogramPercentile(histogram: Uint32Array, count: number, fraction: number): number {
  const target = Math.ceil(count * fraction);
  let seen = 0;
  for (let bucket = 0; bucket <= BUCKETS; bucket++) {
    seen += histogram[bucket] ?? 0;
    if (seen >= target && seen > 0) return ((bucket + 1) * BUCKET_US) / 1000;
  }
  return NaN;
}

interface Pending {
  packet: Buffer;
  firstSentAt: number;
  deadline: number;
  retransmitted: boolean;
  user: BenchUser;
  session: AcctSession | null;
  status: AcctStatus;
}

interface Channel {
  socket: Socket;
  slots: Array<Pending | undefined>;
  /** FIFO of free identifiers: a freed id goes to the back, so it is not reused at once. */
  freeIds: number[];
  freeHead: number;
  outstanding: number;
}

const SOCKET_BUFFER = 4 * 1024 * 1024;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const dictionary = options.dictionary ?? loadDictionary();
  const attributes = resolveAttributes(dictionary);
  const framedIpKey = attributes.framedIpAddress;
  const secret = Buffer.from(options.secret);
  const users = makeUsers(options.users);
  const socketCount = Math.max(1, Math.min(options.sockets, 64));
  const perSocket = Math.max(1, Math.min(255, Math.ceil(options.window / socketCount)));
  const acct = options.scenario === 'acct';
  const verifyOptions = { requireMessageAuthenticator: !acct && options.replyMessageAuthenticator === 'require' };
  const histogram = options.histogram ?? new Uint32Array(BUCKETS + 1);

  let sent = 0;
  let answered = 0;
  let answeredWhileIssuing = 0;
  let losses = 0;
  let retransmits = 0;
  let rejects = 0;
  let wrongReplies = 0;
  let badReplies = 0;
  let unmatched = 0;
  let withoutMa = 0;
  let maxLatency = 0;
  const byStatus: Record<AcctStatus, number> = { Start: 0, 'Interim-Update': 0, Stop: 0 };
  let sessionCounter = randomInt(0, 2 ** 32 - 2 ** 25);
  const followUps: AcctSession[] = [];
  let followUpHead = 0;
  const nextStatus = new Map<AcctSession, AcctStatus>();
  const interimsDone = new Map<AcctSession, number>();
  // When each open session's Start went out: its updates report the session time a NAS
  // would (whole seconds since then). A session time that runs ahead of the clock (the
  // bench once added 300 s per step, milliseconds apart) tells a server that tracks
  // sessions the update belongs to an older session, so no Stop ever closed one.
  const startedAt = new Map<AcctSession, number>();

  const channels: Channel[] = [];
  const closeAll = () => {
    for (const channel of channels) {
      try {
        channel.socket.close();
      } catch {
        // already closed
      }
    }
  };

  try {
    for (let index = 0; index < socketCount; index++) {
      const socket = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => {
          socket.connect(options.port, options.host, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      });
      const freeIds = Array.from({ length: 256 }, (_, id) => id);
      channels.push({ socket, slots: new Array<Pending | undefined>(256), freeIds, freeHead: 0, outstanding: 0 });
    }
  } catch (error) {
    closeAll();
    throw error;
  }

  const start = performance.now();
  const issueUntil = start + options.durationMs;
  let issuing = true;
  let issuingEnded = 0;
  const cpuBefore = options.serverPids.length > 0 ? totalCpuMicros(options.serverPids) : 0;
  const waitBefore = options.serverPids.length > 0 ? runQueueWaitMicros(options.serverPids) : 0;
  const clientCpuBefore = process.cpuUsage();
  const rcvbufErrorsBefore = udpReceiveBufferErrors();

  const takeId = (channel: Channel): number => {
    const id = channel.freeIds[channel.freeHead] ?? 0;
    channel.freeHead++;
    if (channel.freeHead >= 1024) {
      channel.freeIds.splice(0, channel.freeHead);
      channel.freeHead = 0;
    }
    return id;
  };
  const releaseId = (channel: Channel, id: number) => {
    channel.slots[id] = undefined;
    channel.outstanding--;
    channel.freeIds.push(id);
  };

  const nextAcctWork = (): { session: AcctSession; status: AcctStatus } => {
    const followUp = followUps[followUpHead];
    if (followUp !== undefined) {
      followUps[followUpHead++] = undefined as unknown as AcctSession;
      if (followUpHead > 4096) {
        followUps.splice(0, followUpHead);
        followUpHead = 0;
      }
      const status = nextStatus.get(followUp) ?? 'Stop';
      followUp.elapsed = Math.floor((Date.now() - (startedAt.get(followUp) ?? Date.now())) / 1000);
      return { session: followUp, status };
    }
    const number = sessionCounter++;
    const user = users[randomInt(0, users.length)] ?? (users[0] as BenchUser);
    const session: AcctSession = {
      user,
      number,
      id: (number >>> 0).toString(16).padStart(8, '0'),
      elapsed: 0,
      inputOctets: 0,
      outputOctets: 0,
    };
    return { session, status: 'Start' };
  };

  const advanceSession = (session: AcctSession, status: AcctStatus) => {
    if (status === 'Stop') {
      nextStatus.delete(session);
      interimsDone.delete(session);
      startedAt.delete(session);
      return;
    }
    if (status === 'Start') startedAt.set(session, Date.now());
    const done = status === 'Interim-Update' ? (interimsDone.get(session) ?? 0) + 1 : 0;
    interimsDone.set(session, done);
    nextStatus.set(session, done < options.interims ? 'Interim-Update' : 'Stop');
    session.inputOctets += 150_000_000 + randomInt(0, 1_000_000_000);
    session.outputOctets += 900_000_000 + randomInt(0, 4_000_000_000);
    followUps.push(session);
  };

  const issue = (channel: Channel): void => {
    if (!issuing) return;
    if (sent >= options.maxRequests) {
      issuing = false;
      issuingEnded = performance.now();
      return;
    }
    const id = takeId(channel);
    let pending: Pending;
    if (acct) {
      const { session, status } = nextAcctWork();
      const packet = buildAccountingRequest(attributes, dictionary, secret, id, session, status);
      pending = { packet, firstSentAt: 0, deadline: 0, retransmitted: false, user: session.user, session, status };
    } else {
      const user = users[randomInt(0, users.length)] ?? (users[0] as BenchUser);
      const packet = buildAccessRequest(attributes, dictionary, secret, id, user, sessionCounter++);
      pending = { packet, firstSentAt: 0, deadline: 0, retransmitted: false, user, session: null, status: 'Start' };
    }
    const now = performance.now();
    pending.firstSentAt = now;
    pending.deadline = now + options.timeoutMs;
    channel.slots[id] = pending;
    channel.outstanding++;
    sent++;
    channel.socket.send(pending.packet);
  };

  const onReply = (channel: Channel, datagram: Buffer): void => {
    const id = datagram[1] ?? 0;
    const pending = datagram.length >= 20 ? channel.slots[id] : undefined;
    if (pending === undefined) {
      unmatched++;
      return;
    }
    let verified = false;
    let code = 0;
    let framedIpMatches = false;
    try {
      const reply = decodePacket(datagram, dictionary);
      const requestAuthenticator = pending.packet.subarray(4, 20);
      verified = verifyReply(reply, requestAuthenticator, secret, verifyOptions) === 'ok';
      code = reply.code;
      if (verified && reply.messageAuthenticatorOffset < 0) withoutMa++;
      if (verified && code === PacketCode.accessAccept) {
        const framedIp = getOctets(reply, framedIpKey);
        framedIpMatches = framedIp !== undefined && framedIp.equals(pending.user.framedIpOctets);
      }
    } catch {
      verified = false;
    }
    if (!verified) {
      // A forged or stale reply is ignored, as a NAS would: the request stays outstanding.
      badReplies++;
      return;
    }
    const now = performance.now();
    const latencyUs = (now - pending.firstSentAt) * 1000;
    if (latencyUs > maxLatency) maxLatency = latencyUs;
    histogram[Math.min(BUCKETS, Math.floor(latencyUs / BUCKET_US))]!++;
    answered++;
    if (issuing) answeredWhileIssuing++;
    if (acct) {
      if (code !== PacketCode.accountingResponse) wrongReplies++;
      byStatus[pending.status]++;
      if (pending.session !== null) advanceSession(pending.session, pending.status);
    } else if (code === PacketCode.accessReject) {
      rejects++;
    } else if (code !== PacketCode.accessAccept || !framedIpMatches) {
      wrongReplies++;
    }
    releaseId(channel, id);
    issue(channel);
  };

  let socketErrors = 0;
  for (const channel of channels) {
    channel.socket.on('message', (datagram: Buffer) => onReply(channel, datagram));
    // ICMP port unreachable on a connected socket (server not up yet, or gone): the
    // request times out and is retransmitted or lost like any other.
    channel.socket.on('error', () => socketErrors++);
  }

  const hardDeadline = issueUntil + 2 * options.timeoutMs + 2_000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (issuing && now >= issueUntil) {
        issuing = false;
        issuingEnded = now;
      }
      let outstanding = 0;
      for (const channel of channels) {
        for (let id = 0; id < 256; id++) {
          const pending = channel.slots[id];
          if (pending === undefined || now < pending.deadline) continue;
          if (!pending.retransmitted) {
            // RFC 5080 §2.2.1: a retransmission is the same packet (same id and authenticator).
            pending.retransmitted = true;
            pending.deadline = now + options.timeoutMs;
            retransmits++;
            channel.socket.send(pending.packet);
            continue;
          }
          losses++;
          if (pending.session !== null) {
            nextStatus.delete(pending.session);
            interimsDone.delete(pending.session);
          }
          releaseId(channel, id);
          issue(channel);
        }
        outstanding += channel.outstanding;
      }
      if ((!issuing && outstanding === 0) || now >= hardDeadline) {
        resolve();
        return;
      }
      setTimeout(tick, 5);
    };
    for (const channel of channels) {
      for (let index = 0; index < perSocket; index++) issue(channel);
    }
    setTimeout(tick, 5);
  });

  const cpuAfter = options.serverPids.length > 0 ? totalCpuMicros(options.serverPids) : 0;
  const waitAfter = options.serverPids.length > 0 ? runQueueWaitMicros(options.serverPids) : 0;
  const runMicros = (performance.now() - start) * 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const rcvbufErrors = udpReceiveBufferErrors() - rcvbufErrorsBefore;
  // Whatever is still outstanding at the hard deadline is lost too.
  for (const channel of channels) losses += channel.outstanding;
  closeAll();

  const issuingSeconds = ((issuingEnded || performance.now()) - start) / 1000;
  const percentile = (fraction: number) => histogramPercentile(histogram, answered, fraction);
  const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    scenario: options.scenario,
    window: perSocket * socketCount,
    sockets: socketCount,
    sent,
    answered,
    per_second: Math.round(answeredWhileIssuing / issuingSeconds),
    answered_while_issuing: answeredWhileIssuing,
    p50_ms: round(percentile(0.5)),
    p99_ms: round(percentile(0.99)),
    max_ms: round(maxLatency / 1000),
    losses,
    retransmits,
    rejects,
    wrong_replies: wrongReplies,
    bad_replies: badReplies,
    unmatched_replies: unmatched,
    replies_without_message_authenticator: withoutMa,
    socket_errors: socketErrors,
    udp_rcvbuf_errors: rcvbufErrors,
    ...(acct ? { by_status: byStatus } : {}),
    issuing_seconds: round(issuingSeconds),
    server_cores_busy: options.serverPids.length > 0 ? round((cpuAfter - cpuBefore) / runMicros, 2) : null,
    server_run_queue_wait: options.serverPids.length > 0 ? round((waitAfter - waitBefore) / runMicros, 2) : null,
    generator_cores_busy: round((clientCpu.user + clientCpu.system) / runMicros, 2),
    server_cpu_us_per_request:
      options.serverPids.length > 0 && answered > 0 ? round((cpuAfter - cpuBefore) / answered, 2) : null,
    client_cpu_us_per_request: answered > 0 ? round((clientCpu.user + clientCpu.system) / answered, 2) : 0,
  };
}

/**
 * Wait until the server answers: Access-Requests for user 0 until a verified reply
 * comes back (or `timeoutMs` passes). Works for any server that knows the bench users.
 */
export async function waitForServer(
  host: string,
  port: number,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; attempt < 1000 && performance.now() < deadline; attempt++) {
    if (!isAlive()) throw new Error('the server exited while starting');
    const result = await runLoad({
      host,
      port,
      secret: BENCH_SECRET,
      scenario: 'auth',
      window: 1,
      sockets: 1,
      durationMs: 10_000,
      maxRequests: 1,
      timeoutMs: 250,
      users: 1,
      interims: 0,
      serverPids: [],
      replyMessageAuthenticator: 'if-present',
    });
    if (result.answered === 1) return;
  }
  throw new Error(`no RADIUS reply from ${host}:${port} within ${timeoutMs} ms`);
}

// Several generator threads: on a 2-core machine one generator thread can be the
// bottleneck (each datagram costs the sender a sendto through the loopback stack).
// Each thread (load-worker.ts) runs runLoad on its own sockets with a share of the
// window; this thread reads the server's CPU time around all of them and merges.
export type WorkerLoadOptions = Omit<LoadOptions, 'dictionary' | 'histogram' | 'serverPids'>;
export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'done'; result: LoadResult; histogram: Uint32Array }
  | { kind: 'failed'; message: string };

const roundTo = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function runLoadThreads(options: LoadOptions, threads: number): Promise<LoadResult> {
  if (threads <= 1) return runLoad(options);
  const { dictionary: _dictionary, histogram: _histogram, serverPids, ...shared } = options;
  const workers: Worker[] = [];
  try {
    const results: Array<Promise<{ result: LoadResult; histogram: Uint32Array }>> = [];
    const ready: Array<Promise<void>> = [];
    for (let index = 0; index < threads; index++) {
      const workerOptions: WorkerLoadOptions = {
        ...shared,
        window: Math.max(1, Math.round(options.window / threads)),
        sockets: Math.max(1, Math.round(options.sockets / threads)),
        maxRequests: Math.ceil(options.maxRequests / threads),
      };
      const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: workerOptions });
      workers.push(worker);
      let onReady: () => void = () => undefined;
      ready.push(new Promise<void>((resolve) => (onReady = resolve)));
      results.push(
        new Promise((resolve, reject) => {
          worker.on('message', (message: WorkerReply) => {
            if (message.kind === 'ready') onReady();
            else if (message.kind === 'done') resolve(message);
            else reject(new Error(message.message));
          });
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`load worker exited with ${code}`)));
        }),
      );
    }
    await Promise.race([Promise.all(ready), Promise.all(results)]);
    const cpuBefore = serverPids.length > 0 ? totalCpuMicros(serverPids) : 0;
    const waitBefore = serverPids.length > 0 ? runQueueWaitMicros(serverPids) : 0;
    const clientBefore = process.cpuUsage();
    const startedAt = performance.now();
    for (const worker of workers) worker.postMessage('go');
    const done = await Promise.all(results);
    const cpuAfter = serverPids.length > 0 ? totalCpuMicros(serverPids) : 0;
    const waitAfter = serverPids.length > 0 ? runQueueWaitMicros(serverPids) : 0;
    const client = process.cpuUsage(clientBefore);
    const runMicros = (performance.now() - startedAt) * 1000;

    const histogram = new Uint32Array(BUCKETS + 1);
    for (const { histogram: part } of done)
      for (let bucket = 0; bucket <= BUCKETS; bucket++) histogram[bucket]! += part[bucket] ?? 0;
    const sum = (pick: (result: LoadResult) => number) => done.reduce((total, { result }) => total + pick(result), 0);
    const answered = sum((result) => result.answered);
    const first = done[0]?.result as LoadResult;
    const byStatus = first.by_status
      ? {
          Start: sum((result) => result.by_status?.Start ?? 0),
          'Interim-Update': sum((result) => result.by_status?.['Interim-Update'] ?? 0),
          Stop: sum((result) => result.by_status?.Stop ?? 0),
        }
      : undefined;
    return {
      scenario: options.scenario,
      window: sum((result) => result.window),
      sockets: sum((result) => result.sockets),
      sent: sum((result) => result.sent),
      answered,
      per_second: Math.round(sum((result) => result.per_second)),
      answered_while_issuing: sum((result) => result.answered_while_issuing),
      p50_ms: roundTo(histogramPercentile(histogram, answered, 0.5)),
      p99_ms: roundTo(histogramPercentile(histogram, answered, 0.99)),
      max_ms: Math.max(...done.map(({ result }) => result.max_ms)),
      losses: sum((result) => result.losses),
      retransmits: sum((result) => result.retransmits),
      rejects: sum((result) => result.rejects),
      wrong_replies: sum((result) => result.wrong_replies),
      bad_replies: sum((result) => result.bad_replies),
      unmatched_replies: sum((result) => result.unmatched_replies),
      replies_without_message_authenticator: sum((result) => result.replies_without_message_authenticator),
      socket_errors: sum((result) => result.socket_errors),
      // Machine-wide counter: the threads ran at the same time, so the largest delta, not the sum.
      udp_rcvbuf_errors: Math.max(...done.map(({ result }) => result.udp_rcvbuf_errors)),
      ...(byStatus ? { by_status: byStatus } : {}),
      issuing_seconds: Math.max(...done.map(({ result }) => result.issuing_seconds)),
      server_cpu_us_per_request:
        serverPids.length > 0 && answered > 0 ? roundTo((cpuAfter - cpuBefore) / answered, 2) : null,
      // process.cpuUsage covers every thread of this process: the generators and this one.
      client_cpu_us_per_request: answered > 0 ? roundTo((client.user + client.system) / answered, 2) : 0,
      server_cores_busy: serverPids.length > 0 ? roundTo((cpuAfter - cpuBefore) / runMicros, 2) : null,
      server_run_queue_wait: serverPids.length > 0 ? roundTo((waitAfter - waitBefore) / runMicros, 2) : null,
      generator_cores_busy: roundTo((client.user + client.system) / runMicros, 2),
      generator_threads: threads,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '1812' },
      secret: { type: 'string', default: BENCH_SECRET },
      scenario: { type: 'string', default: 'auth' },
      window: { type: 'string', default: '256' },
      sockets: { type: 'string', default: '16' },
      duration: { type: 'string', default: '10' },
      requests: { type: 'string', default: '1000000' },
      timeout: { type: 'string', default: '1000' },
      users: { type: 'string', default: String(DEFAULT_USERS) },
      interims: { type: 'string', default: '1' },
      pid: { type: 'string', multiple: true, default: [] },
      'reply-ma': { type: 'string', default: 'require' },
      threads: { type: 'string', default: '1' },
    },
  });
  if (values.scenario !== 'auth' && values.scenario !== 'acct') throw new Error('--scenario is auth or acct');
  if (values['reply-ma'] !== 'require' && values['reply-ma'] !== 'if-present')
    throw new Error('--reply-ma is require or if-present');
  const threads = Math.min(Math.max(Number(values.threads), 1), 8);
  const result = await runLoadThreads(
    {
      host: values.host,
      port: Number(values.port),
      secret: values.secret,
      scenario: values.scenario,
      window: Number(values.window),
      sockets: Number(values.sockets),
      durationMs: Math.min(Number(values.duration), 3600) * 1000,
      maxRequests: Number(values.requests),
      timeoutMs: Number(values.timeout),
      users: Number(values.users),
      interims: Number(values.interims),
      serverPids: values.pid.map(Number),
      replyMessageAuthenticator: values['reply-ma'],
    },
    threads,
  );
  console.log(JSON.stringify(result, null, 2));
}
