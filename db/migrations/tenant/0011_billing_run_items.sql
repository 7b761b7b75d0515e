CREATE TABLE `billing_run_failures` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`message` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `billing_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `billing_run_failures_run` ON `billing_run_failures` (`run_id`,`id`);--> statement-breakpoint
CREATE TABLE `collection_run_actions` (
	`run_id` text NOT NULL,
	`position` integer NOT NULL,
	`subscriber_id` text NOT NULL,
	`subscription_id` text,
	`invoice_id` text,
	`action` text NOT NULL,
	`reason` text NOT NULL,
	`step` integer,
	PRIMARY KEY(`run_id`, `position`),
	FOREIGN KEY (`run_id`) REFERENCES `collection_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
DROP INDEX `subscriptions_billing_due`;--> statement-breakpoint
CREATE INDEX `subscriptions_billing_due` ON `subscriptions` (`next_billing_at`,`id`) WHERE next_billing_at IS NOT NULL;--> statement-breakpoint
INSERT INTO `collection_run_actions` (`run_id`, `position`, `subscriber_id`, `subscription_id`, `invoice_id`, `action`, `reason`, `step`)
SELECT r.`id`, a.key, a.value ->> 'subscriber_id', a.value ->> 'subscription_id', a.value ->> 'invoice_id', a.value ->> 'action', a.value ->> 'reason', a.value ->> 'step'
FROM `collection_runs` r, json_each(r.`actions`) a;--> statement-breakpoint
ALTER TABLE `collection_runs` DROP COLUMN `actions`;