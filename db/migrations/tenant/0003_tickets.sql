CREATE TABLE `tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`subject` text NOT NULL,
	`description` text NOT NULL,
	`priority` text NOT NULL,
	`status` text NOT NULL,
	`assignee_id` text,
	`subscriber_id` text,
	`subscription_id` text,
	`device_id` text,
	`first_response_due_at` integer NOT NULL,
	`first_responded_at` integer,
	`first_response_breached_at` integer,
	`resolution_due_at` integer NOT NULL,
	`resolved_at` integer,
	`resolution_breached_at` integer,
	`pending_since` integer,
	`closed_at` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`assignee_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tickets_number_unique` ON `tickets` (`number`);--> statement-breakpoint
CREATE INDEX `tickets_status` ON `tickets` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_assignee` ON `tickets` (`assignee_id`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_subscriber` ON `tickets` (`subscriber_id`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_first_response_due` ON `tickets` (`first_response_due_at`) WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL;--> statement-breakpoint
CREATE INDEX `tickets_resolution_due` ON `tickets` (`resolution_due_at`) WHERE resolved_at IS NULL AND resolution_breached_at IS NULL;--> statement-breakpoint
CREATE TABLE `ticket_comments` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`body` text NOT NULL,
	`internal` integer NOT NULL,
	`author_type` text NOT NULL,
	`author_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ticket_comments_ticket` ON `ticket_comments` (`ticket_id`,`id`);--> statement-breakpoint
CREATE TABLE `ticket_attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`storage_key` text NOT NULL,
	`uploaded_by_type` text NOT NULL,
	`uploaded_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_attachments_storage_key_unique` ON `ticket_attachments` (`storage_key`);--> statement-breakpoint
CREATE INDEX `ticket_attachments_ticket` ON `ticket_attachments` (`ticket_id`,`id`);