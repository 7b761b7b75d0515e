import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../edge/lib/logger.ts';

describe('edge logger', () => {
  it('writes one JSON object a line with the child bindings, and hides secret fields in both', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line) });
    const child = log.child({ request_id: 'r1', api_key: 'isk_secret' });
    child.info('request', { path: '/x', password: 'hunter2', Authorization: 'Bearer t' });
    child.debug('not written');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      msg: 'request',
      request_id: 'r1',
      path: '/x',
      api_key: '[redacted]',
      password: '[redacted]',
      Authorization: '[redacted]',
    });
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('isk_secret');
  });

  it('leaves the caller’s fields untouched', () => {
    const fields = { token: 'abc', path: '/y' };
    createLogger({ level: 'info', write: () => undefined }).info('x', fields);
    expect(fields).toEqual({ token: 'abc', path: '/y' });
  });
});
