import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../edge/client.ts';
import { startEdge } from '../support/edge-app.ts';

describe('typed client (edge/client.ts)', () => {
  it('logs in, creates and lists through typed calls, and types problems by status', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const fetch = (input: string | URL | Request, init?: RequestInit) => edge.app.request(input, init);
    const anonymous = createApiClient('http://edge.test', { fetch });

    const credentials = { tenant: tenant.slug, email: tenant.owner.email, password: tenant.owner.password };
    const login = await anonymous.api.v1.auth.login.$post({ json: credentials });
    expect(login.status).toBe(200);
    if (login.status !== 200) return;
    const { access_token } = await login.json();

    const api = createApiClient('http://edge.test', { fetch, headers: { authorization: `Bearer ${access_token}` } });
    const created = await api.api.v1.tags.$post({ json: { name: 'fiber', color: '#00aa00' } });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const tag = await created.json();
    expect(tag).toMatchObject({ name: 'fiber', color: '#00aa00' });

    const listed = await api.api.v1.tags.$get({ query: { limit: '10' } });
    if (listed.status !== 200) throw new Error(`list answered ${listed.status}`);
    expect((await listed.json()).data.map((t) => t.id)).toEqual([tag.id]);

    const param = { id: '00000000-0000-7000-8000-000000000000' };
    const missing = await api.api.v1.tags[':id'].$patch({ param, json: { name: 'x' } });
    expect(missing.status).toBe(404);
    // The problem's body is typed by its status.
    if (missing.status === 404) expect((await missing.json()).code).toBe('not_found');
  });
});
