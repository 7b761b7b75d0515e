// What an ISP must retain and bill by (issue 12 item 6), sent by FreeRADIUS's radclient
// (Debian freeradius-utils) as an independent NAS: every field reaches the spool's
// outbox (what the edge gets) and the `records` view (what an operator queries).
import { createClient } from '@libsql/client';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SECRET, startTestAppliance } from '../appliance/server/helpers.ts';
import type { TestAppliance } from '../appliance/server/helpers.ts';

let server: TestAppliance;

beforeAll(async () => {
  server = await startTestAppliance({
    threads: 2,
    seed: async (replica) =>
      void (await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' })),
  });
});

afterAll(() => server.stop());

async function radclient(port: number, attributes: string): Promise<string> {
  return new Promise((resolve) => {
    const args = ['-x', '-r', '1', '-t', '3', `127.0.0.1:${port}`, 'acct', SECRET];
    const child = execFile('radclient', args, (_error, stdout) => resolve(stdout));
    child.stdin?.end(attributes);
  });
}

const EVENT_TIMESTAMP = 1_767_268_800;

it(
  'keeps IPv6 prefixes, NAS port, stations, NAS-Identifier, ' + 'Class, multi-session id, cause and event time',
  async () => {
    const stop = [
      'User-Name = retained-user',
      'Acct-Status-Type = Stop',
      'Acct-Session-Id = keep-1',
      'Acct-Multi-Session-Id = bundle-7',
      'Acct-Session-Time = 600',
      'Acct-Terminate-Cause = User-Request',
      `Event-Timestamp = ${EVENT_TIMESTAMP}`,
      'Framed-IPv6-Prefix = 2001:db8:1:2::/64',
      'Delegated-IPv6-Prefix = 2001:db8:ff00::/56',
      'NAS-Port = 15728640',
      'NAS-Port-Type = Ethernet',
      'NAS-Port-Id = ether1.100',
      'Called-Station-Id = pppoe-service-1',
      'Calling-Station-Id = AA:BB:CC:00:11:22',
      'NAS-Identifier = mk-core-1',
      'Class = 0x6c696e653a616c696365ff',
    ].join('\n');
    expect(await radclient(server.radius.ports.acct, `${stop}\n`)).toMatch(/Received Accounting-Response/);

    const [entry] = (await server.appliance.context.spool.readOutbox(0, 10)).filter(
      (row) => row.sessionId === 'keep-1',
    );
    const expected = {
      multiSessionId: 'bundle-7',
      terminateCause: 'User-Request',
      eventTimestamp: EVENT_TIMESTAMP,
      framedIpv6Prefix: '2001:db8:1:2::/64',
      delegatedIpv6Prefix: '2001:db8:ff00::/56',
      nasPort: 15_728_640,
      nasPortType: 'Ethernet',
      nasPortId: 'ether1.100',
      calledStationId: 'pppoe-service-1',
      callingStationId: 'AA:BB:CC:00:11:22',
      nasIdentifier: 'mk-core-1',
      // Class is octets (RFC 2865 §5.25): kept as FreeRADIUS prints them.
      class: '0x6c696e653a616c696365ff',
    };
    expect(entry).toMatchObject(expected);

    const client = createClient({ url: `file:${join(server.dir, 'spool.db')}` });
    try {
      const row = (await client.execute("SELECT * FROM records WHERE session_id = 'keep-1'")).rows[0];
      expect({ ...row }).toMatchObject({
        multi_session_id: 'bundle-7',
        terminate_cause: 'User-Request',
        event_timestamp: EVENT_TIMESTAMP,
        framed_ipv6_prefix: '2001:db8:1:2::/64',
        delegated_ipv6_prefix: '2001:db8:ff00::/56',
        nas_port: 15_728_640,
        nas_port_type: 'Ethernet',
        nas_port_id: 'ether1.100',
        called_station_id: 'pppoe-service-1',
        nas_identifier: 'mk-core-1',
        class: '0x6c696e653a616c696365ff',
      });
    } finally {
      client.close();
    }
  },
);
