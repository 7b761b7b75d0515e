import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { subscribers } from './subscribers.ts';

export const leadSources = ['web', 'referral', 'partner', 'walk_in', 'phone', 'other'] as const;
export const leadStatuses = ['new', 'contacted', 'qualified', 'unqualified', 'converted', 'lost'] as const;
export type LeadSource = (typeof leadSources)[number];
export type LeadStatus = (typeof leadStatuses)[number];

export type LeadAddress = {
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postal_code?: string | null;
  country: string;
};

// Prospective subscribers. Converting one creates a subscriber in the same transaction
// and keeps the link; `partner_id` names the referring partner (partners come later).
export const leads = sqliteTable(
  'leads',
  {
    id: id(),
    number: text('number').notNull().unique(),
    status: text('status', { enum: leadStatuses }).notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    organizationName: text('organization_name'),
    // Stored lower-cased, as subscribers' are.
    email: text('email'),
    phone: text('phone'),
    address: text('address', { mode: 'json' }).$type<LeadAddress>(),
    source: text('source', { enum: leadSources }).notNull(),
    partnerId: text('partner_id'),
    interestedOffer: text('interested_offer'),
    notes: text('notes'),
    // Why it was disqualified or lost.
    statusReason: text('status_reason'),
    convertedSubscriberId: text('converted_subscriber_id').references(() => subscribers.id),
    convertedAt: instant('converted_at'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('leads_status').on(t.status, t.id),
    index('leads_source').on(t.source, t.id),
    index('leads_partner').on(t.partnerId, t.id),
    index('leads_email').on(t.email),
  ],
);
