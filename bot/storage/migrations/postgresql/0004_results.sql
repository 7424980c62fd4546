-- PostgreSQL's twin of sqlite/0004_results.sql: the same tables, with BIGINT ids and identity keys.
-- Answers imported from a thread's free-text replies have no Discord member: they get a
-- negative user id, are flagged, and keep their original text (admin exports only).
ALTER TABLE responses ADD COLUMN imported INTEGER NOT NULL DEFAULT 0 CHECK (imported IN (0, 1));

CREATE TABLE imported_replies (
    response_id BIGINT PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
    original    TEXT NOT NULL,
    unmapped    TEXT NOT NULL DEFAULT ''
);

-- Per-server key for pseudonymous respondent ids in exports (HMAC of the user id).
CREATE TABLE guild_secrets (
    guild_id BIGINT PRIMARY KEY,
    secret   BYTEA NOT NULL
);

-- Results read each member's latest completed response; this index answers that directly.
CREATE INDEX responses_latest ON responses (guild_id, status, imported, user_id, id);
-- Per-question counts scan answers by question rather than the whole table.
CREATE INDEX answers_question ON answers (question_id, item, skipped);
