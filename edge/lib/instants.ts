/** An instant as the API shows it (ISO 8601, UTC), or null when there is none. */
export const isoOrNull = (at: Date | null | undefined): string | null => at?.toISOString() ?? null;
