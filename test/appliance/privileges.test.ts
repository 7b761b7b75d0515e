// The privilege-drop decision (privileges.ts): switch before binding when every port
// is unprivileged, refuse when one is not (a restarted RADIUS worker could not rejoin
// the SO_REUSEPORT group), skip when not root. Pure, so it runs without root; the
// switch itself is exercised by test/appliance/cli.test.ts when the suite runs as root.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../appliance/log.ts';
import { dropPrivileges, planPrivilegeDrop } from '../../appliance/privileges.ts';

const PORTS = [
  { key: 'radius.authPort', port: 1812 },
  { key: 'radius.acctPort', port: 1813 },
  { key: 'http.port', port: 9812 },
];

describe('planPrivilegeDrop', () => {
  it('switches as root when every port can be bound afterwards (ephemeral ports included)', () => {
    expect(planPrivilegeDrop({ user: 'radius', uid: 0, ports: PORTS, unprivilegedPortStart: 1024 })).toEqual({
      action: 'drop',
    });
    expect(
      planPrivilegeDrop({
        user: 'radius',
        uid: 0,
        ports: [{ key: 'radius.authPort', port: 0 }],
        unprivilegedPortStart: 1024,
      }),
    ).toEqual({ action: 'drop' });
  });

  it('refuses as root with a port below the unprivileged start, naming it and the systemd way', () => {
    const plan = planPrivilegeDrop({
      user: 'radius',
      uid: 0,
      ports: [...PORTS, { key: 'http.port', port: 80 }],
      unprivilegedPortStart: 1024,
    });
    expect(plan.action).toBe('refuse');
    const message = plan.action === 'refuse' ? plan.message : '';
    expect(message).toMatch(/http\.port 80 below 1024/);
    expect(message).not.toMatch(/1812/);
    expect(message).toMatch(/AmbientCapabilities=CAP_NET_BIND_SERVICE/);
    // The kernel's threshold decides (net.ipv4.ip_unprivileged_port_start).
    expect(planPrivilegeDrop({ user: 'radius', uid: 0, ports: PORTS, unprivilegedPortStart: 2000 }).action).toBe(
      'refuse',
    );
    expect(
      planPrivilegeDrop({ user: 'radius', uid: 0, ports: [{ key: 'http.port', port: 80 }], unprivilegedPortStart: 0 })
        .action,
    ).toBe('drop');
  });

  it('skips when not root, whatever the ports', () => {
    expect(
      planPrivilegeDrop({
        user: 'radius',
        uid: 1000,
        ports: [{ key: 'radius.authPort', port: 812 }],
        unprivilegedPortStart: 1024,
      }),
    ).toEqual({ action: 'skip', uid: 1000 });
  });
});

describe('dropPrivileges', () => {
  it('does nothing without a user', () => {
    const dir = mkdtempSync(join(tmpdir(), 'privileges-'));
    try {
      expect(
        dropPrivileges({
          user: null,
          group: null,
          dataDir: dir,
          ports: [{ key: 'radius.authPort', port: 812 }],
          log: createSilentLogger(),
        }),
      ).toEqual({ dropped: false, uid: null, gid: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
