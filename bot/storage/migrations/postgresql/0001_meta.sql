-- PostgreSQL's twin of sqlite/0001_meta.sql: the same tables, with BIGINT ids and identity keys.
-- Small key/value facts about this installation (e.g. the hash of the last synced command tree).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
