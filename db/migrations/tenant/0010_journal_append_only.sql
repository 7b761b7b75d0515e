-- The journal is append-only: corrections are reversing entries, never edits.
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER payment_allocations_no_update BEFORE UPDATE ON payment_allocations BEGIN SELECT RAISE(ABORT, 'allocations are append-only'); END;
--> statement-breakpoint
CREATE TRIGGER payment_allocations_no_delete BEFORE DELETE ON payment_allocations BEGIN SELECT RAISE(ABORT, 'allocations are append-only'); END;
--> statement-breakpoint
CREATE TRIGGER credit_note_applications_no_update BEFORE UPDATE ON credit_note_applications BEGIN SELECT RAISE(ABORT, 'applications are append-only'); END;
--> statement-breakpoint
CREATE TRIGGER credit_note_applications_no_delete BEFORE DELETE ON credit_note_applications BEGIN SELECT RAISE(ABORT, 'applications are append-only'); END;
