-- billing_day becomes nullable (null: each subscription's start day anchors it). SQLite
-- cannot drop NOT NULL in place; moving the values to a new column keeps the table, its
-- indexes, the rows' seq (the search index's rowid) and every foreign key untouched.
ALTER TABLE `subscribers` RENAME COLUMN `billing_day` TO `billing_day_was`;
--> statement-breakpoint
ALTER TABLE `subscribers` ADD `billing_day` integer;
--> statement-breakpoint
UPDATE `subscribers` SET `billing_day` = `billing_day_was`;
--> statement-breakpoint
ALTER TABLE `subscribers` DROP COLUMN `billing_day_was`;
--> statement-breakpoint
-- Account status is derived from the subscriptions and collections state (business-rules.md
-- "State machines"), one rule for every writer: delinquent while an overdue collection case
-- is open; else active with no subscriptions yet; else canceled once every subscription has
-- ended; else suspended while no subscription is pending or active; else active.
CREATE VIEW `subscriber_account_status` AS SELECT `s`.`id` AS `subscriber_id`, CASE
  WHEN EXISTS (SELECT 1 FROM `collection_cases` `c` WHERE `c`.`subscriber_id` = `s`.`id` AND `c`.`kind` = 'overdue' AND `c`.`status` = 'open') THEN 'delinquent'
  WHEN NOT EXISTS (SELECT 1 FROM `subscriptions` `x` WHERE `x`.`subscriber_id` = `s`.`id`) THEN 'active'
  WHEN NOT EXISTS (SELECT 1 FROM `subscriptions` `x` WHERE `x`.`subscriber_id` = `s`.`id` AND `x`.`status` IN ('pending', 'active', 'suspended')) THEN 'canceled'
  WHEN NOT EXISTS (SELECT 1 FROM `subscriptions` `x` WHERE `x`.`subscriber_id` = `s`.`id` AND `x`.`status` IN ('pending', 'active')) THEN 'suspended'
  ELSE 'active' END AS `status` FROM `subscribers` `s`;
--> statement-breakpoint
UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = `subscribers`.`id`);
--> statement-breakpoint
-- The triggers run inside the writer's statement, so the status commits with the change
-- that moved it, whichever code path (or bulk UPDATE) made it.
CREATE TRIGGER `subscriptions_account_status_insert` AFTER INSERT ON `subscriptions` BEGIN
  UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = NEW.`subscriber_id`) WHERE `id` = NEW.`subscriber_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `subscriptions_account_status_update` AFTER UPDATE OF `status`, `subscriber_id` ON `subscriptions` BEGIN
  UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = `subscribers`.`id`) WHERE `id` IN (OLD.`subscriber_id`, NEW.`subscriber_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `subscriptions_account_status_delete` AFTER DELETE ON `subscriptions` BEGIN
  UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = OLD.`subscriber_id`) WHERE `id` = OLD.`subscriber_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `collection_cases_account_status_insert` AFTER INSERT ON `collection_cases` BEGIN
  UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = NEW.`subscriber_id`) WHERE `id` = NEW.`subscriber_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `collection_cases_account_status_update` AFTER UPDATE OF `status`, `kind`, `subscriber_id` ON `collection_cases` BEGIN
  UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = `subscribers`.`id`) WHERE `id` IN (OLD.`subscriber_id`, NEW.`subscriber_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `collection_cases_account_status_delete` AFTER DELETE ON `collection_cases` BEGIN
  UPDATE `subscribers` SET `status` = (SELECT `status` FROM `subscriber_account_status` WHERE `subscriber_id` = OLD.`subscriber_id`) WHERE `id` = OLD.`subscriber_id`;
END;
