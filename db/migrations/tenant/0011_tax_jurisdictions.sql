ALTER TABLE `subscribers` ADD `tax_rate_id` text;--> statement-breakpoint
ALTER TABLE `subscriber_addresses` ADD `tax_rate_id` text;