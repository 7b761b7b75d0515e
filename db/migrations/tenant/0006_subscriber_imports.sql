CREATE TABLE `subscriber_import_errors` (
	`import_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`row` integer,
	`line` integer NOT NULL,
	`column` text,
	`message` text NOT NULL,
	PRIMARY KEY(`import_id`, `ordinal`),
	FOREIGN KEY (`import_id`) REFERENCES `subscriber_imports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `subscriber_imports` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`dry_run` integer NOT NULL,
	`source` text,
	`total_rows` integer DEFAULT 0 NOT NULL,
	`processed_rows` integer DEFAULT 0 NOT NULL,
	`error_count` integer DEFAULT 0 NOT NULL,
	`created_count` integer DEFAULT 0 NOT NULL,
	`ignored_columns` text DEFAULT '[]' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`heartbeat_at` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `subscriber_imports_created` ON `subscriber_imports` (`created_at`);