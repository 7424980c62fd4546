-- Per-server settings; a server without a row uses the defaults below.
CREATE TABLE guild_settings (
    guild_id           INTEGER PRIMARY KEY,
    -- Smallest group a public count may describe (k-anonymity); never below 3.
    min_group_size     INTEGER NOT NULL DEFAULT 5 CHECK (min_group_size >= 3),
    results_visibility TEXT NOT NULL DEFAULT 'everyone'
                       CHECK (results_visibility IN ('everyone', 'managers')),
    survey_open        INTEGER NOT NULL DEFAULT 1 CHECK (survey_open IN (0, 1)),
    include_imported   INTEGER NOT NULL DEFAULT 0 CHECK (include_imported IN (0, 1)),
    updated_at         TEXT NOT NULL
) STRICT;

-- Corrections members propose for the treatment knowledge base; never applied automatically.
CREATE TABLE treatment_suggestions (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    treatment_id TEXT NOT NULL,
    text         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'dismissed')),
    created_at   TEXT NOT NULL,
    resolved_by  INTEGER,
    resolved_at  TEXT
) STRICT;

CREATE INDEX treatment_suggestions_queue ON treatment_suggestions (guild_id, status, id);
CREATE INDEX treatment_suggestions_member ON treatment_suggestions (guild_id, user_id);
