// The control database: tenants and the platform's own staff.
export * from './tenants.ts';
export * from './platform-users.ts';
export { auditEvents } from '../shared/audit-events.ts';
export { idempotencyKeys } from '../shared/idempotency-keys.ts';
export * from './login-throttle.ts';
