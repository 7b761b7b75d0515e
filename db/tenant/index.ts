// The tenant database: one per ISP, holding everything of that ISP.
export * from './users.ts';
export * from './api-keys.ts';
export * from './document-sequences.ts';
export * from './domain-events.ts';
export { auditEvents } from '../shared/audit-events.ts';
export { idempotencyKeys } from '../shared/idempotency-keys.ts';
export * from './tickets.ts';
export * from './ticket-comments.ts';
export * from './ticket-attachments.ts';
export * from './subscribers.ts';
export * from './subscriber-addresses.ts';
export * from './subscriber-contacts.ts';
export * from './custom-fields.ts';
export * from './tags.ts';
export * from './subscriber-imports.ts';
export * from './leads.ts';
