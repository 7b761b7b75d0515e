CREATE TABLE `document_sequences` (
	`prefix` text PRIMARY KEY NOT NULL,
	`last_value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `domain_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`payload` text NOT NULL,
	`occurred_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domain_events_id_unique` ON `domain_events` (`id`);--> statement-breakpoint
CREATE INDEX `domain_events_subject` ON `domain_events` (`subject_type`,`subject_id`,`seq`);--> statement-breakpoint
CREATE INDEX `domain_events_type` ON `domain_events` (`type`,`seq`);