// PAP against crypt(3) credentials ($1$ MD5-crypt, $5$/$6$ SHA-crypt) end to end: a
// burst of Access-Requests over UDP to one worker, whose checks of one event-loop turn
// travel to its crypt pool together; hashes made by OpenSSL (`openssl passwd`), an
// implementation independent of ours. And the checker on its own: one task per batch,
// every result back to its own request.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, decodePacket, PacketCode, verifyReply } from '../../../appliance/radius/index.ts';
import { createCryptChecker } from '../../../appliance/radius/server/crypt-pool.ts';
import { dictionary, metricValue, SECRET, startTestAppliance } from './helpers.ts';
import type { TestAppliance } from './helpers.ts';

const USERS = [
  { username: 'crypt-md5', password: 'md5-pw', method: '-1' },
  { username: 'crypt-sha256', password: 'sha256-pw', method: '-5' },
  { username: 'crypt-sha512', password: 'sha512-pw', method: '-6' },
  { username: 'crypt-once', password: 'once-pw', method: '-6' },
] as const;
const opensslCrypt = (method: string, password: string) =>
  execFileSync('openssl', ['passwd', method, password], { encoding: 'utf8' }).trim();

let server: TestAppliance;
let hashes: Map<string, string>;

beforeAll(async () => {
  hashes = new Map(USERS.map((user) => [user.username, opensslCrypt(user.method, user.password)]));
  server = await startTestAppliance({
    threads: 2,
    seed: async (replica) => {
      await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
      await replica.upsertProfile({ name: 'crypt-plan', framedPool: 'pool-crypt' });
      for (const user of USERS) {
        await replica.upsertSubscriber({
          username: user.username,
          credentials: { crypt: hashes.get(user.username) },
          profile: 'crypt-plan',
        });
      }
    },
  });
});

afterAll(() => server.stop());

/** Sends every request back to back from one source port (so one worker gets them all); replies by Identifier. */
async function burst(requests: Array<{ username: string; password: string }>): Promise<number[]> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sent = requests.map((request, identifier) =>
    buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier,
        secret: Buffer.from(SECRET),
        attributes: [
          { attribute: 'User-Name', value: request.username },
          { attribute: 'User-Password', value: request.password },
        ],
      },
      dictionary,
    ),
  );
  const codes: number[] = Array(requests.length).fill(0);
  try {
    await new Promise<void>((resolve, reject) => {
      let answered = 0;
      const timer = setTimeout(() => reject(new Error(`${requests.length - answered} requests unanswered`)), 10_000);
      socket.on('message', (raw) => {
        const reply = decodePacket(raw, dictionary);
        const request = sent[reply.identifier];
        if (request === undefined || codes[reply.identifier] !== 0) return;
        if (
          verifyReply(reply, request.subarray(4, 20), Buffer.from(SECRET), { requireMessageAuthenticator: true }) !==
          'ok'
        )
          return;
        codes[reply.identifier] = reply.code;
        if (++answered === requests.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (const datagram of sent) socket.send(datagram, server.radius.ports.auth, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
  return codes;
}

describe('PAP against crypt(3) hashes', () => {
  it('accepts the right and rejects the wrong password for $1$, $5$ and $6$, a burst sharing pool tasks', async () => {
    const before = await server.metrics();
    // Each user twice right and twice wrong, interleaved: 12 checks.
    const requests = [0, 1].flatMap((round) =>
      USERS.slice(0, 3).flatMap((user) => [
        { username: user.username, password: user.password },
        { username: user.username, password: `${user.password}-${round}` },
      ]),
    );
    const codes = await burst(requests);
    expect(codes).toEqual(
      requests.map((_, index) => (index % 2 === 0 ? PacketCode.accessAccept : PacketCode.accessReject)),
    );

    const after = await server.metrics();
    const delta = (series: string) => metricValue(after, series) - metricValue(before, series);
    expect(delta('appliance_radius_crypt_checks_total')).toBe(requests.length);
    // Datagrams that arrive together are checked by one task: fewer tasks than checks.
    expect(delta('appliance_radius_crypt_batches_total')).toBeGreaterThanOrEqual(1);
    expect(delta('appliance_radius_crypt_batches_total')).toBeLessThan(requests.length);
    expect(delta('appliance_radius_accepts_total{method="pap"}')).toBe(6);
    expect(delta('appliance_radius_rejects_total{reason="wrong_password"}')).toBe(6);
  });

  it('stores the password in its fast form after one successful crypt check (issue 12 item 7)', async () => {
    const replica = server.appliance.context.replica;
    const before = await server.metrics();
    const checks = 'appliance_radius_crypt_checks_total';
    const checked = async () => metricValue(await server.metrics(), checks) - metricValue(before, checks);
    expect(await burst([{ username: 'crypt-once', password: 'wrong' }])).toEqual([PacketCode.accessReject]);
    expect(await burst([{ username: 'crypt-once', password: 'once-pw' }])).toEqual([PacketCode.accessAccept]);
    expect(await checked()).toBe(2);
    // auth.methods has chap (the default): the fast form is the cleartext, sealed.
    const stored = () => replica.findSubscriberByUsername('crypt-once')?.credentials;
    await expect.poll(stored, { timeout: 30_000, interval: 10 }).toEqual({ cleartext: 'once-pw' });
    // The workers learn of it from the replica's notice; a worker that has not yet
    // checks crypt once more. Once one has, it never goes back: a burst then needs no
    // crypt check at all. (Each burst has its own source port, so its own worker.)
    await expect
      .poll(
        async () => {
          const from = await checked();
          const again = await burst([
            { username: 'crypt-once', password: 'once-pw' },
            { username: 'crypt-once', password: 'no' },
          ]);
          return { again, crypt: (await checked()) - from };
        },
        { timeout: 30_000, interval: 10 },
      )
      .toEqual({ again: [PacketCode.accessAccept, PacketCode.accessReject], crypt: 0 });
  });
});

describe('a crypt(3) login storm', () => {
  it('drops and counts checks beyond radius.cryptQueueLimit instead of queueing them', async () => {
    const storm = await startTestAppliance({
      threads: 1,
      wrapContext: (context) => ({
        ...context,
        config: { ...context.config, radius: { ...context.config.radius, cryptQueueLimit: 2 } },
      }),
      seed: async (replica) => {
        await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET });
        await replica.upsertSubscriber({ username: 'storm', credentials: { crypt: hashes.get('crypt-sha512') } });
      },
    });
    try {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const codes: number[] = [];
      socket.on('message', (raw) => codes.push(raw[0] ?? 0));
      for (let identifier = 0; identifier < 6; identifier++) {
        const attributes = [
          { attribute: 'User-Name', value: 'storm' },
          { attribute: 'User-Password', value: 'sha512-pw' },
        ];
        const secret = Buffer.from(SECRET);
        const datagram = buildRequest({ code: PacketCode.accessRequest, identifier, secret, attributes }, dictionary);
        socket.send(datagram, storm.radius.ports.auth, '127.0.0.1');
      }
      const full = 'appliance_radius_drops_total{reason="crypt_queue_full"}';
      const settled = async () => codes.length >= 2 && metricValue(await storm.metrics(), full) >= 4;
      // A bound, not a timing: a machine too slow for it fails below.
      for (let tries = 0; !(await settled()) && tries < 3_000; tries++) await sleep(10);
      socket.close();
      expect(codes).toEqual([PacketCode.accessAccept, PacketCode.accessAccept]);
      expect(metricValue(await storm.metrics(), full)).toBe(4);
    } finally {
      await storm.stop();
    }
  });
});

describe('crypt checker', () => {
  it('refuses a check while maxPending are waiting or running, and takes one again after', async () => {
    const checker = createCryptChecker({ maxPending: 2 });
    try {
      const md5 = hashes.get('crypt-md5') ?? '';
      const first = [checker.verify(Buffer.from('md5-pw'), md5), checker.verify(Buffer.from('nope'), md5)];
      expect(checker.verify(Buffer.from('md5-pw'), md5)).toBeUndefined();
      expect(await Promise.all(first)).toEqual([true, false]);
      expect(await checker.verify(Buffer.from('md5-pw'), md5)).toBe(true);
    } finally {
      await checker.close();
    }
  });

  it('sends the checks of one event-loop turn as one task and answers each its own', async () => {
    const batches: number[] = [];
    const checker = createCryptChecker({ maxPending: 64, onBatch: (checks) => batches.push(checks) });
    try {
      const md5 = hashes.get('crypt-md5') ?? '';
      const sha = hashes.get('crypt-sha256') ?? '';
      const results = await Promise.all([
        checker.verify(Buffer.from('md5-pw'), md5),
        checker.verify(Buffer.from('nope'), md5),
        checker.verify(Buffer.from('sha256-pw'), sha),
        checker.verify(Buffer.from('md5-pw'), sha),
        checker.verify(Buffer.from('sha256-pw'), '$2b$10$unsupportedbcrypthash'),
      ]);
      expect(results).toEqual([true, false, true, false, false]);
      expect(batches).toEqual([5]);
      // The next turn is the next task.
      expect(await checker.verify(Buffer.from('md5-pw'), md5)).toBe(true);
      expect(batches).toEqual([5, 1]);
    } finally {
      await checker.close();
    }
  });
});
