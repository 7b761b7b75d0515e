-- Full-text search over subscribers (names, email, phone digits, number, addresses,
-- contacts). Contentless: it holds only the index, so an erase leaves no copy of the
-- text; rows are keyed by subscribers.seq and rewritten by the subscriber services in
-- the transaction of each change. secure-delete does not remove a deleted row's tokens at
-- once for this kind of table: contentless_delete=1 records a tombstone, and the tokens stay
-- in the index segments until those are merged. So an erase merges the whole index itself
-- ('optimize', purgeDeletedSearchText in edge/services/subscribers/search-index.ts).
CREATE VIRTUAL TABLE `subscribers_fts` USING fts5(`body`, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3');
--> statement-breakpoint
INSERT INTO `subscribers_fts`(`subscribers_fts`, `rank`) VALUES ('secure-delete', 1);
