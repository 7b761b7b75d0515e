CREATE TABLE `subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`number` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`first_name` text,
	`last_name` text,
	`organization_name` text,
	`display_name` text NOT NULL,
	`email` text,
	`phone` text,
	`locale` text,
	`timezone` text,
	`organization_id` text,
	`billing_day` integer NOT NULL,
	`payment_due_days` integer NOT NULL,
	`grace_days` integer NOT NULL,
	`min_balance` integer NOT NULL,
	`marketing_opt_in` integer NOT NULL,
	`notes` text,
	`custom_fields` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`archived_at` integer,
	`erased_at` integer,
	FOREIGN KEY (`organization_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_seq_unique` ON `subscribers` (`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_number_unique` ON `subscribers` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_email_unique` ON `subscribers` (`email`);--> statement-breakpoint
CREATE INDEX `subscribers_live_created` ON `subscribers` (`archived_at`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `subscribers_created` ON `subscribers` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `subscribers_status_created` ON `subscribers` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `subscribers_organization` ON `subscribers` (`organization_id`) WHERE "subscribers"."organization_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `subscriber_addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` text NOT NULL,
	`kind` text NOT NULL,
	`is_primary` integer NOT NULL,
	`line1` text NOT NULL,
	`line2` text,
	`city` text NOT NULL,
	`region` text,
	`postal_code` text,
	`country` text NOT NULL,
	`latitude` real,
	`longitude` real,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscriber_addresses_subscriber` ON `subscriber_addresses` (`subscriber_id`,`kind`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriber_addresses_primary` ON `subscriber_addresses` (`subscriber_id`,`kind`) WHERE "subscriber_addresses"."is_primary" = 1;--> statement-breakpoint
CREATE INDEX `subscriber_addresses_city` ON `subscriber_addresses` (lower("city"),`subscriber_id`);--> statement-breakpoint
CREATE TABLE `subscriber_contacts` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` text NOT NULL,
	`channel` text NOT NULL,
	`value` text NOT NULL,
	`label` text,
	`opt_in` integer NOT NULL,
	`verified` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscriber_contacts_subscriber` ON `subscriber_contacts` (`subscriber_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriber_contacts_value` ON `subscriber_contacts` (`subscriber_id`,`channel`,`value`);--> statement-breakpoint
CREATE TABLE `custom_fields` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`label` text NOT NULL,
	`type` text NOT NULL,
	`options` text,
	`required` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `custom_fields_key_unique` ON `custom_fields` (`key`);--> statement-breakpoint
CREATE TABLE `subscriber_tags` (
	`subscriber_id` text NOT NULL,
	`tag_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`subscriber_id`, `tag_id`),
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tag_id`) REFERENCES `tags`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscriber_tags_tag` ON `subscriber_tags` (`tag_id`,`subscriber_id`);--> statement-breakpoint
CREATE TABLE `tags` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`color` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tags_name_key_unique` ON `tags` (`name_key`);