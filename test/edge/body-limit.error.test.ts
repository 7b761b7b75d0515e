// Issue 13 D11: a 413 answered `Connection: keep-alive` and then the socket closed (the
// unread rest of the body cannot be told apart from the next request), so a client that
// reused the connection lost its next request. RFC 9110 §15.5.14: the server may close
// the connection after a 413; it must then say so (RFC 9112 §9.6, `Connection: close`).
import { connect, type Socket } from 'node:net';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startEdge } from '../support/edge-app.ts';

/** Everything the server sends on `socket` until it closes it (bounded: the test's timeout). */
const readUntilClosed = (socket: Socket) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });

describe('a request body over the limit', () => {
  it('gets a 413 that says Connection: close, and the socket closes after it', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const server = serve({ fetch: edge.app.fetch, port: 0, hostname: '127.0.0.1' });
    onTestFinished(() => void server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;

    const socket = connect(port, '127.0.0.1');
    onTestFinished(() => void socket.destroy());
    const received = readUntilClosed(socket);
    const declared = 2 * 1024 * 1024; // over the 1 MiB default; only a part is sent
    socket.write(
      `POST /api/v1/tags HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAuthorization: Bearer ` +
        `${tenant.owner.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${'x'.repeat(1024)}`,
    );
    const text = await received;
    const [head] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head!.toLowerCase()).toMatch(/\r\nconnection: close(\r\n|$)/);
    expect(head!.toLowerCase()).not.toContain('keep-alive');
    // One response, nothing after it: the connection ended as announced.
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});
