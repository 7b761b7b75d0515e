// UDP sockets for RADIUS: every worker thread binds its own socket per address and
// port with SO_REUSEPORT, and the kernel spreads datagrams over them by a hash of
// the 4-tuple (so one NAS source port always lands on one thread). Needs Node ≥ 22.12;
// older Node ignores `reusePort` and the second bind fails with EADDRINUSE.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export type BindOptions = {
  address: string;
  port: number;
  /** SO_RCVBUF; the kernel caps it at net.core.rmem_max (Linux reports double the value it grants). */
  receiveBufferBytes?: number;
};

export function bindUdpSocket(options: BindOptions): Promise<Socket> {
  const v6 = isIPv6(options.address);
  const family = v6 ? 6 : 4;
  const socket = createSocket({
    type: v6 ? 'udp6' : 'udp4',
    reusePort: true,
    // `::` must not also take IPv4: 0.0.0.0 has its own sockets (default bind list).
    ipv6Only: v6,
    recvBufferSize: options.receiveBufferBytes,
    // Every address given to this socket is an IP literal (bind addresses are checked
    // by the config; replies go to a datagram's source). Answering with it at once
    // spares each send() the DNS module's next-tick round trip, and the reply leaves
    // inside the send() call.
    lookup: (address, _options, callback) => callback(null, address, family),
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: options.address, port: options.port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // Already closed.
      resolve();
    }
  });
}

/**
 * Resolves once the replies handed to send() have left: what the kernel does not take
 * at once waits in the socket's send queue, and close() would drop it. The shutdown
 * waits here so that in-flight accounting gets its answer.
 */
export async function flushSends(sockets: readonly Socket[]): Promise<void> {
  while (sockets.some((socket) => socket.getSendQueueCount() > 0))
    await new Promise((resolve) => setTimeout(resolve, 1));
}

export type PortPlan = { auth: number; acct: number };

/**
 * Holds the RADIUS ports on every bind address from the main thread until the workers
 * have bound theirs, and turns port 0 (tests) into one concrete ephemeral port per
 * kind shared by all addresses. Holding them also makes a port taken by another
 * program fail the start with EADDRINUSE instead of in a worker.
 */
export async function reservePorts(
  addresses: readonly string[],
  wanted: PortPlan,
): Promise<{ ports: PortPlan; release(): Promise<void> }> {
  for (let attempt = 0; ; attempt++) {
    const held: Socket[] = [];
    try {
      const ports = { auth: wanted.auth, acct: wanted.acct };
      for (const kind of ['auth', 'acct'] as const) {
        for (const address of addresses) {
          const socket = await bindUdpSocket({ address, port: ports[kind] });
          held.push(socket);
          ports[kind] = socket.address().port;
        }
      }
      return { ports, release: async () => void (await Promise.all(held.map(closeSocket))) };
    } catch (error) {
      await Promise.all(held.map(closeSocket));
      // An ephemeral port free on the first address may be taken on another: try again.
      const ephemeral = wanted.auth === 0 || wanted.acct === 0;
      if (!ephemeral || attempt >= 5 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}
