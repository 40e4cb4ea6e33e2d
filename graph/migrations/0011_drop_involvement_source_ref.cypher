// Feeds find an involvement through its FeedRecord ((source, sourceRef) is unique
// there, migration 0005), never by the properties on the involvement itself, so this
// index from 0002 only cost every START_INVOLVEMENT one more index entry to write.
DROP INDEX involvement_source_ref IF EXISTS;
