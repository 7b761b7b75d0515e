CREATE TABLE `login_throttle` (
	`source` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`attempts` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_throttle_window` ON `login_throttle` (`window_start`);--> statement-breakpoint
ALTER TABLE `platform_users` ADD `totp_secret` text;--> statement-breakpoint
ALTER TABLE `platform_users` ADD `totp_enabled_at` integer;--> statement-breakpoint
ALTER TABLE `platform_users` ADD `totp_last_step` integer;