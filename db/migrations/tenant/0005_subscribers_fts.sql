-- Full-text search over subscribers (names, email, phone digits, number, addresses,
-- contacts). Contentless: it holds only the index, so an erase leaves no copy of the
-- text; rows are keyed by subscribers.seq and rewritten by the subscriber services in
-- the transaction of each change. secure-delete removes a deleted row's tokens from the
-- index b-tree at once (SQLite ≥ 3.44), so erased personal data is not left in old segments.
CREATE VIRTUAL TABLE `subscribers_fts` USING fts5(`body`, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3');
--> statement-breakpoint
INSERT INTO `subscribers_fts`(`subscribers_fts`, `rank`) VALUES ('secure-delete', 1);
