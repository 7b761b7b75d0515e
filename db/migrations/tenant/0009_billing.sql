CREATE TABLE `tax_rates` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`rate` text NOT NULL,
	`mode` text NOT NULL,
	`compound` integer NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `addons` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`charge` text NOT NULL,
	`prices` text NOT NULL,
	`tax_rate_id` text,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tax_rate_id`) REFERENCES `tax_rates`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `addons_code_unique` ON `addons` (`code`);--> statement-breakpoint
CREATE TABLE `billing_settings` (
	`id` text PRIMARY KEY NOT NULL,
	`default_tax_rate_ids` text NOT NULL,
	`default_policy_set_id` text,
	`throttle_profile` text NOT NULL,
	`suspended_profile` text,
	`enforcement_start_hour` integer NOT NULL,
	`enforcement_end_hour` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`default_policy_set_id`) REFERENCES `policy_sets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `discounts` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`percent` text,
	`amounts` text,
	`valid_from` integer,
	`valid_until` integer,
	`max_cycles` integer,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `discounts_code_unique` ON `discounts` (`code`);--> statement-breakpoint
CREATE TABLE `offers` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`service_type` text NOT NULL,
	`access_type` text NOT NULL,
	`billing_cycle` text NOT NULL,
	`billing_mode` text NOT NULL,
	`prices` text NOT NULL,
	`tax_rate_id` text,
	`download_mbps` integer NOT NULL,
	`upload_mbps` integer NOT NULL,
	`included_gb` integer,
	`overage_per_gb` text,
	`setup_fee` text,
	`policy_set_id` text,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tax_rate_id`) REFERENCES `tax_rates`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`policy_set_id`) REFERENCES `policy_sets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `offers_code_unique` ON `offers` (`code`);--> statement-breakpoint
CREATE TABLE `policy_sets` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`proration` integer NOT NULL,
	`refund_policy` text NOT NULL,
	`change_invoice_timing` text NOT NULL,
	`upgrade_fees` text NOT NULL,
	`downgrade_fees` text NOT NULL,
	`min_invoice_amount` integer NOT NULL,
	`dunning_steps` text NOT NULL,
	`grace_days` integer NOT NULL,
	`prepaid_grace_days` integer NOT NULL,
	`prepaid_deactivation_days` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policy_sets_name_unique` ON `policy_sets` (`name`);--> statement-breakpoint
CREATE TABLE `service_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`reason` text NOT NULL,
	`action` text NOT NULL,
	`note` text,
	`placed_at` integer NOT NULL,
	`lifted_at` integer,
	`lifted_by` text,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_holds_open` ON `service_holds` (`subscription_id`,`reason`) WHERE lifted_at IS NULL;--> statement-breakpoint
CREATE INDEX `service_holds_subscription` ON `service_holds` (`subscription_id`,`placed_at`);--> statement-breakpoint
CREATE TABLE `subscription_addons` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`addon_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`addon_id`) REFERENCES `addons`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscription_addons_subscription` ON `subscription_addons` (`subscription_id`);--> statement-breakpoint
CREATE TABLE `subscription_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`from_offer_id` text NOT NULL,
	`to_offer_id` text NOT NULL,
	`effective_at` integer NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`credit` integer NOT NULL,
	`charge` integer NOT NULL,
	`net` integer NOT NULL,
	`invoice_id` text,
	`credit_note_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscription_changes_subscription` ON `subscription_changes` (`subscription_id`,`effective_at`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` text NOT NULL,
	`offer_id` text NOT NULL,
	`status` text NOT NULL,
	`username` text,
	`currency` text NOT NULL,
	`price_override` integer,
	`billing_cycle` text NOT NULL,
	`billing_anchor_day` integer,
	`billing_anchor_month` integer,
	`discount_id` text,
	`discount_cycles_used` integer NOT NULL,
	`start_at` integer NOT NULL,
	`activated_at` integer,
	`next_billing_at` integer,
	`credit_basis` integer NOT NULL,
	`scheduled_offer_id` text,
	`scheduled_change_at` integer,
	`suspended_at` integer,
	`canceled_at` integer,
	`ends_at` integer,
	`cancel_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`discount_id`) REFERENCES `discounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`scheduled_offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscriptions_subscriber` ON `subscriptions` (`subscriber_id`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_billing_due` ON `subscriptions` (`next_billing_at`,`id`) WHERE status IN ('active', 'suspended');--> statement-breakpoint
CREATE INDEX `subscriptions_scheduled_change` ON `subscriptions` (`scheduled_change_at`) WHERE scheduled_change_at IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_live_username` ON `subscriptions` (`username`) WHERE username IS NOT NULL AND status NOT IN ('canceled', 'expired');--> statement-breakpoint
CREATE TABLE `invoice_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`position` integer NOT NULL,
	`kind` text NOT NULL,
	`subscription_id` text,
	`source_id` text,
	`description` text NOT NULL,
	`quantity` integer NOT NULL,
	`amount` integer NOT NULL,
	`tax_amount` integer NOT NULL,
	`taxes` text NOT NULL,
	`period_start` integer,
	`period_end` integer,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invoice_lines_invoice` ON `invoice_lines` (`invoice_id`,`position`);--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_lines_recurring_period` ON `invoice_lines` (`subscription_id`,`period_start`,`period_end`) WHERE kind = 'recurring';--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_lines_source_period` ON `invoice_lines` (`source_id`,`period_start`) WHERE kind IN ('addon', 'overage');--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`subtotal` integer NOT NULL,
	`tax_total` integer NOT NULL,
	`total` integer NOT NULL,
	`balance_due` integer NOT NULL,
	`period_start` integer,
	`period_end` integer,
	`billing_run_id` text,
	`issued_at` integer,
	`due_at` integer,
	`paid_at` integer,
	`voided_at` integer,
	`written_off_at` integer,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_number_unique` ON `invoices` (`number`);--> statement-breakpoint
CREATE INDEX `invoices_subscriber` ON `invoices` (`subscriber_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `invoices_overdue` ON `invoices` (`subscriber_id`) WHERE status = 'overdue';--> statement-breakpoint
CREATE INDEX `invoices_open_due` ON `invoices` (`subscriber_id`,`due_at`) WHERE status IN ('issued', 'partially_paid', 'overdue');--> statement-breakpoint
CREATE INDEX `invoices_unpaid_due` ON `invoices` (`due_at`) WHERE status IN ('issued', 'partially_paid');--> statement-breakpoint
CREATE TABLE `pending_charges` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` text NOT NULL,
	`subscription_id` text,
	`currency` text NOT NULL,
	`kind` text NOT NULL,
	`description` text NOT NULL,
	`quantity` integer NOT NULL,
	`amount` integer NOT NULL,
	`tax_amount` integer NOT NULL,
	`taxes` text NOT NULL,
	`period_start` integer,
	`period_end` integer,
	`invoice_line_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `pending_charges_open` ON `pending_charges` (`subscriber_id`,`currency`) WHERE invoice_line_id IS NULL;--> statement-breakpoint
CREATE TABLE `credit_note_applications` (
	`id` text PRIMARY KEY NOT NULL,
	`credit_note_id` text NOT NULL,
	`invoice_id` text NOT NULL,
	`amount` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`credit_note_id`) REFERENCES `credit_notes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credit_note_applications_note` ON `credit_note_applications` (`credit_note_id`);--> statement-breakpoint
CREATE INDEX `credit_note_applications_invoice` ON `credit_note_applications` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `credit_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`invoice_id` text,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`lines` text NOT NULL,
	`subtotal` integer NOT NULL,
	`tax_total` integer NOT NULL,
	`total` integer NOT NULL,
	`remaining` integer NOT NULL,
	`issued_at` integer,
	`voided_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_number_unique` ON `credit_notes` (`number`);--> statement-breakpoint
CREATE INDEX `credit_notes_subscriber` ON `credit_notes` (`subscriber_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `credit_notes_invoice` ON `credit_notes` (`invoice_id`) WHERE invoice_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `journal_entries` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`kind` text NOT NULL,
	`memo` text NOT NULL,
	`subscriber_id` text,
	`currency` text NOT NULL,
	`source_type` text NOT NULL,
	`source_id` text NOT NULL,
	`reverses_entry_id` text,
	`occurred_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `journal_entries_id_unique` ON `journal_entries` (`id`);--> statement-breakpoint
CREATE INDEX `journal_entries_subscriber` ON `journal_entries` (`subscriber_id`,`seq`);--> statement-breakpoint
CREATE INDEX `journal_entries_source` ON `journal_entries` (`source_type`,`source_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `journal_entries_reverses` ON `journal_entries` (`reverses_entry_id`) WHERE reverses_entry_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `journal_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`entry_id` text NOT NULL,
	`account` text NOT NULL,
	`subscriber_id` text,
	`currency` text NOT NULL,
	`debit` integer NOT NULL,
	`credit` integer NOT NULL,
	FOREIGN KEY (`entry_id`) REFERENCES `journal_entries`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `journal_lines_entry` ON `journal_lines` (`entry_id`);--> statement-breakpoint
CREATE INDEX `journal_lines_subscriber_account` ON `journal_lines` (`subscriber_id`,`account`,`currency`) WHERE subscriber_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `payment_allocations` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`invoice_id` text NOT NULL,
	`amount` integer NOT NULL,
	`refund_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payment_allocations_payment` ON `payment_allocations` (`payment_id`);--> statement-breakpoint
CREATE INDEX `payment_allocations_invoice` ON `payment_allocations` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`method` text NOT NULL,
	`reference` text,
	`status` text NOT NULL,
	`refunded_amount` integer NOT NULL,
	`provider_event_id` text,
	`received_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_number_unique` ON `payments` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_provider_event_id_unique` ON `payments` (`provider_event_id`);--> statement-breakpoint
CREATE INDEX `payments_subscriber` ON `payments` (`subscriber_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`amount` integer NOT NULL,
	`reason` text,
	`from_credit` integer NOT NULL,
	`from_invoices` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `refunds_payment` ON `refunds` (`payment_id`);--> statement-breakpoint
CREATE TABLE `billing_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`as_of` integer NOT NULL,
	`status` text NOT NULL,
	`invoices_created` integer NOT NULL,
	`lines_created` integer NOT NULL,
	`created_by` text,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE TABLE `collection_cases` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`step` integer,
	`action` text,
	`opened_at` integer NOT NULL,
	`last_action_at` integer,
	`closed_at` integer,
	`close_reason` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `collection_cases_open` ON `collection_cases` (`subscriber_id`,`kind`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `collection_cases_subscriber` ON `collection_cases` (`subscriber_id`,`opened_at`);--> statement-breakpoint
CREATE TABLE `collection_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`as_of` integer NOT NULL,
	`actions` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `quota_buckets` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`included_bytes` integer,
	`used_bytes` integer NOT NULL,
	`warned_80_at` integer,
	`warned_90_at` integer,
	`exhausted_at` integer,
	`reset_at` integer,
	`rated_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quota_buckets_period` ON `quota_buckets` (`subscription_id`,`period_start`);--> statement-breakpoint
CREATE TABLE `usage_records` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`bucket_id` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`input_octets` integer NOT NULL,
	`output_octets` integer NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `usage_records_subscription` ON `usage_records` (`subscription_id`,`end_at`);--> statement-breakpoint
DROP INDEX `domain_events_type`;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `tax_rate_id` text;--> statement-breakpoint
ALTER TABLE `subscriber_addresses` ADD `tax_rate_id` text;