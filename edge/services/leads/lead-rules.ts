import type { LeadStatus } from '../../../db/tenant/index.ts';

/**
 * Where a lead may go from each status. Converted is final (the subscriber carries on);
 * an unqualified lead may be qualified again when circumstances change, and a lost one
 * may be picked up again (contacted).
 */
export const leadTransitions: Readonly<Record<LeadStatus, readonly LeadStatus[]>> = {
  new: ['contacted', 'qualified', 'unqualified', 'converted', 'lost'],
  contacted: ['qualified', 'unqualified', 'converted', 'lost'],
  qualified: ['contacted', 'unqualified', 'converted', 'lost'],
  unqualified: ['qualified', 'lost'],
  lost: ['contacted'],
  converted: [],
};
