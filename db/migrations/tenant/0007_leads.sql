CREATE TABLE `leads` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`status` text NOT NULL,
	`first_name` text,
	`last_name` text,
	`organization_name` text,
	`email` text,
	`phone` text,
	`address` text,
	`source` text NOT NULL,
	`partner_id` text,
	`interested_offer` text,
	`notes` text,
	`status_reason` text,
	`converted_subscriber_id` text,
	`converted_at` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`converted_subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `leads_number_unique` ON `leads` (`number`);--> statement-breakpoint
CREATE INDEX `leads_status` ON `leads` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `leads_source` ON `leads` (`source`,`id`);--> statement-breakpoint
CREATE INDEX `leads_partner` ON `leads` (`partner_id`,`id`);--> statement-breakpoint
CREATE INDEX `leads_email` ON `leads` (`email`);