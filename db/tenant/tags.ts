import { index, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id } from '../shared/columns.ts';
import { subscribers } from './subscribers.ts';

// The tenant's tag set. `name_key` is the lower-cased name: tags are unique case-insensitively.
export const tags = sqliteTable('tags', {
  id: id(),
  name: text('name').notNull(),
  nameKey: text('name_key').notNull().unique(),
  color: text('color'),
  createdAt: createdAt(),
});

export const subscriberTags = sqliteTable(
  'subscriber_tags',
  {
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    tagId: text('tag_id')
      .notNull()
      .references(() => tags.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.subscriberId, t.tagId] }), index('subscriber_tags_tag').on(t.tagId, t.subscriberId)],
);
